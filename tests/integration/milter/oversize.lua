-- oversize.lua - a body past message_size_limit is refused while it
-- streams (552 5.3.4), before the end of the message.
dofile(dir .. "/common.lua")
local conn = open_session()
send_header(conn, "big")
local line = string.rep("x", 998) .. "\r\n"
local chunk = string.rep(line, 50)
local refused = false
for i = 1, 10 do
	mt.bodystring(conn, chunk)
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		refused = true
		break
	end
end
expect(refused, "refused before the end of the body")
expect(mt.getreply(conn) == SMFIR_REPLYCODE, "with a reply code")
mt.disconnect(conn)
