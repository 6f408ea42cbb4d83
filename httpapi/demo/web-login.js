// The scan-to-log-in demo page: makes a ticket, shows its code, long-polls
// the ticket, and once the mini program confirms, uses the tokens it
// receives (kept in memory only) to ask /api/v1/me who is logged in.
'use strict';
(function () {
  var WAIT = '25s';
  var $ = function (id) { return document.getElementById(id); };

  function show(status, text) {
    var el = $('status');
    el.dataset.status = status;
    el.textContent = text;
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  async function api(path, options) {
    var res = await fetch(path, Object.assign({ cache: 'no-store' }, options));
    var body = await res.json().catch(function () { return null; });
    if (!res.ok) {
      var code = body && body.error && body.error.code;
      var err = new Error(code || 'HTTP ' + res.status);
      err.status = res.status;
      throw err;
    }
    return body;
  }

  async function start() {
    $('again').hidden = true;
    $('user').hidden = true;
    show('starting', 'Making a code…');
    var t;
    try {
      t = await api('/api/v1/web-login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    } catch (e) {
      show('error', 'Could not make a code: ' + e.message);
      $('again').hidden = false;
      return;
    }
    $('ticket').textContent = t.ticket;
    $('code').src = '/api/v1/web-login/' + encodeURIComponent(t.ticket) + '/qrcode.png';
    $('code').hidden = false;
    show('pending', 'Scan the code with the mini program');
    await follow(t.ticket);
  }

  // follow long-polls the ticket until it ends.
  async function follow(ticket) {
    var url = '/api/v1/web-login/' + encodeURIComponent(ticket) + '?wait=' + WAIT;
    for (;;) {
      var p;
      try {
        p = await api(url);
      } catch (e) {
        if (e.status === 404) return ended('expired', 'The code expired');
        show('error', 'Waiting failed (' + e.message + '); trying again');
        await sleep(2000);
        continue;
      }
      switch (p.status) {
        case 'pending':
          show('pending', 'Scan the code with the mini program');
          break;
        case 'scanned':
          show('scanned', 'Scanned: confirm on your phone');
          break;
        case 'confirmed':
          return p.access_token ? loggedIn(p) : ended('confirmed', 'Confirmed, but the login went to another page');
        case 'denied':
          return ended('denied', 'Login denied on the phone');
        default:
          return ended('expired', 'The code expired');
      }
    }
  }

  async function loggedIn(tokens) {
    $('code').hidden = true;
    try {
      var me = await api('/api/v1/me', { headers: { Authorization: 'Bearer ' + tokens.access_token } });
      $('user').textContent = 'logged in as ' + me.id;
      $('user').dataset.userId = me.id;
      $('user').hidden = false;
      show('confirmed', 'Logged in');
    } catch (e) {
      ended('error', 'Logged in, but /api/v1/me failed: ' + e.message);
    }
  }

  function ended(status, text) {
    $('code').hidden = true;
    show(status, text);
    $('again').hidden = false;
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('again').addEventListener('click', start);
    start();
  });
})();
