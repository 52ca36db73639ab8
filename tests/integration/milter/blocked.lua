-- blocked.lua - GTUBE in a bank that discards spam: want = "hold"
-- (milter_hold: accepted into the MTA's hold queue) or "discard".
dofile(dir .. "/common.lua")
local conn = open_session()
local reply = send_message(conn, "blocked")
if want == "hold" then
	expect(reply == SMFIR_ACCEPT, "held mail is accepted")
	expect(mt.eom_check(conn, MT_QUARANTINE), "held (smfi_quarantine)")
else
	expect(reply == SMFIR_DISCARD, "discarded")
	expect(not mt.eom_check(conn, MT_QUARANTINE), "not held")
end
mt.disconnect(conn)
