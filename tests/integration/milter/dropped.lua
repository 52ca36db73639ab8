-- dropped.lua - the MTA's connection goes away in the middle of a body;
-- then, when signal is set, waits (the test kills the milter process).
dofile(dir .. "/common.lua")
local conn = open_session()
send_header(conn, "dropped")
mt.bodystring(conn, string.rep("partial body line\r\n", 100))
expect(mt.getreply(conn) == SMFIR_CONTINUE, "body taken")
if hold ~= nil then
	mt.sleep(tonumber(hold))
end
mt.disconnect(conn, false)
