-- common.lua - what every milter script shares (dofile'd).
-- Globals from test_milter.py (miltertest -D): sock, the filter's
-- socket; body, a file with the message body (CR LF form); client, the
-- client address; daemon, the {daemon_name} macro (optional); auth, the
-- {auth_authen} macro (optional).

function expect(cond, what)
	if not cond then
		-- miltertest exits 1 on error() without a word: say it first.
		mt.echo("FAILED: " .. what)
		error("FAILED: " .. what)
	end
end

-- open_session - connect, HELO, MAIL, RCPT; returns the connection
function open_session(rcpts)
	local conn = mt.connect(sock, 40, 0.25)
	expect(conn ~= nil, "connect to " .. sock)
	if daemon ~= nil then
		mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon)
	end
	expect(mt.conninfo(conn, "client.example", client or "192.0.2.1")
	       == nil, "conninfo")
	expect(mt.getreply(conn) == SMFIR_CONTINUE, "connect accepted")
	expect(mt.helo(conn, "client.example") == nil, "helo")
	if auth ~= nil then
		mt.macro(conn, SMFIC_MAIL, "i", "4ABCDEF01", "{auth_authen}",
			 auth)
	else
		mt.macro(conn, SMFIC_MAIL, "i", "4ABCDEF01")
	end
	expect(mt.mailfrom(conn, "<sender@example.org>") == nil, "mailfrom")
	expect(mt.getreply(conn) == SMFIR_CONTINUE, "mailfrom accepted")
	for _, r in ipairs(rcpts or {"<rcpt@example.net>"}) do
		expect(mt.rcptto(conn, r) == nil, "rcptto")
		expect(mt.getreply(conn) == SMFIR_CONTINUE, "rcpt accepted")
	end
	return conn
end

-- send_header - the header section of a test message
function send_header(conn, subject)
	mt.header(conn, "From", "sender@example.org")
	mt.header(conn, "To", "rcpt@example.net")
	mt.header(conn, "Subject", subject)
	mt.header(conn, "Message-ID", "<" .. subject .. "@example.org>")
	mt.header(conn, "MIME-Version", "1.0")
	mt.header(conn, "Content-Type", ctype or "text/plain")
	-- A forged field from outside: a local recipient's copy loses it.
	mt.header(conn, "X-Spam-Flag", "NO")
	expect(mt.eoh(conn) == nil, "eoh")
end

-- send_message - header, the body file, end of message; the reply
function send_message(conn, subject)
	send_header(conn, subject)
	expect(mt.bodyfile(conn, body) == nil, "body")
	expect(mt.eom(conn) == nil, "eom")
	return mt.getreply(conn)
end
