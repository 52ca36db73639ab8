-- inflight.lua - a message that takes hold seconds between its header
-- and its body (the test reloads filterd meanwhile), then GTUBE: it is
-- tagged, as the configuration it began under says, not rejected.
dofile(dir .. "/common.lua")
local conn = open_session()
send_header(conn, "inflight")
mt.sleep(tonumber(hold))
expect(mt.bodyfile(conn, body) == nil, "body")
expect(mt.eom(conn) == nil, "eom")
expect(mt.getreply(conn) == SMFIR_ACCEPT, "finished on the old bank")
expect(mt.eom_check(conn, MT_HDRADD, "X-Spam-Flag", "YES"), "tagged")
mt.disconnect(conn)
