-- sessions_created served a count of sessions started per day that the
-- dashboard now takes from login_daily; no query reads it, and every new
-- session wrote an entry to it.
DROP INDEX IF EXISTS sessions_created;
