// The console works without this script; it only adds comfort:
// confirmation before destructive forms, and filters that apply on change.
'use strict';
document.addEventListener('submit', (e) => {
  const msg = e.target.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) e.preventDefault();
});
document.addEventListener('change', (e) => {
  const form = e.target.closest('form[data-autosubmit]');
  if (form && e.target.tagName === 'SELECT') form.requestSubmit();
});
