-- virus.lua - EICAR in a zip: refused with a reply code at end of message.
dofile(dir .. "/common.lua")
local conn = open_session()
expect(send_message(conn, "virus") == SMFIR_REPLYCODE, "a reply code")
-- miltertest compares a reply's whole text, id= included: the code and
-- the text are checked in the log by test_milter.py.
expect(not mt.eom_check(conn, MT_HDRADD), "no header added")
mt.disconnect(conn)
