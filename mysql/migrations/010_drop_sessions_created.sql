-- sessions_created served a count of sessions started per day that the
-- dashboard now takes from login_daily; no query reads it, and every new
-- session wrote an entry to it.
ALTER TABLE sessions DROP INDEX sessions_created;
