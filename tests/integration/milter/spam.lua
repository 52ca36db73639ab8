-- spam.lua - GTUBE: want = "tag" (accepted, X-Spam-Flag YES and the
-- subject tag) or "reject" (554 5.7.0), per the bank in force.
dofile(dir .. "/common.lua")
local conn = open_session()
local reply = send_message(conn, "gtube")
if want == "tag" then
	expect(reply == SMFIR_ACCEPT, "spam accepted")
	expect(mt.eom_check(conn, MT_HDRADD, "X-Spam-Flag", "YES"),
	       "X-Spam-Flag: YES added")
	expect(mt.eom_check(conn, MT_HDRCHANGE, "Subject",
			    "***SPAM*** gtube"), "subject tagged")
else
	expect(reply == SMFIR_REPLYCODE, "a reply code")
	expect(not mt.eom_check(conn, MT_HDRADD), "no header added")
end
mt.disconnect(conn)
