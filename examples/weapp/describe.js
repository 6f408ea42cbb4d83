// A line for the user about a failed call: the server's code and message,
// and its request id to quote in a bug report.
function describe(err) {
  if (err.code === 'network_error') return 'Cannot reach the server (' + err.message + ')';
  if (err.code) return err.code + ': ' + err.message + (err.requestId ? ' (request ' + err.requestId + ')' : '');
  return String(err.errMsg || err.message || err);
}

module.exports = { describe };
