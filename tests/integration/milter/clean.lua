-- clean.lua - a clean message is accepted with the hop's header fields
-- added and the X-Spam-* field from outside removed.
dofile(dir .. "/common.lua")
local conn = open_session()
expect(send_message(conn, "clean") == SMFIR_ACCEPT, "clean accepted")
expect(mt.eom_check(conn, MT_HDRADD, "X-Virus-Scanned"),
       "X-Virus-Scanned added")
expect(mt.eom_check(conn, MT_HDRDELETE, "X-Spam-Flag"),
       "outside X-Spam-Flag removed")
mt.disconnect(conn)
