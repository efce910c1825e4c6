/* odolog head unit: a little plain JavaScript where it makes touch quicker. Every page works
   without it: forms post, links navigate, the server renders everything. */
'use strict';
(function () {
  document.documentElement.classList.add('js');

  /* The number pad: the fields marked data-keypad take its keys (the device's own keyboard is
     kept out of the way), "Next" walks the fields in order. */
  var pad = document.querySelector('.keypad');
  if (pad) {
    var form = pad.closest('form');
    var fields = Array.prototype.slice.call(form.querySelectorAll('[data-keypad]'));
    var current = fields[0] || null;
    var mark = function (f) {
      fields.forEach(function (x) { x.classList.toggle('active', x === f); });
      current = f;
    };
    fields.forEach(function (f) {
      f.setAttribute('inputmode', 'none');
      f.addEventListener('focus', function () { mark(f); });
    });
    if (current) mark(document.activeElement && fields.indexOf(document.activeElement) >= 0
      ? document.activeElement : current);
    pad.hidden = false;
    form.classList.add('has-keypad');
    pad.addEventListener('mousedown', function (e) { e.preventDefault(); });
    pad.addEventListener('click', function (e) {
      var b = e.target.closest('button[data-key]');
      if (!b || !current) return;
      var k = b.getAttribute('data-key');
      if (k === 'back') {
        current.value = current.value.slice(0, -1);
      } else if (k === 'next') {
        var i = fields.indexOf(current);
        if (i + 1 < fields.length) fields[i + 1].focus();
        else form.querySelector('button[type="submit"]').focus();
        return;
      } else {
        current.value += k;
      }
      current.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  /* A new vehicle chosen on an entry form: reload it, for that vehicle's odometer and price. */
  document.querySelectorAll('select[data-reload]').forEach(function (s) {
    s.addEventListener('change', function () {
      location.search = '?vehicle=' + encodeURIComponent(s.value);
    });
  });

  /* The total the pump will show, as a hint while volume and price are typed: exact decimals,
     rounded half up as the logbook rounds them. */
  var vol = document.getElementById('f-volume'), price = document.getElementById('f-price'),
    total = document.getElementById('f-total');
  var scaled = function (s, scale) {
    var m = /^(\d+)(?:\.(\d*))?$/.exec(s.trim());
    if (!m || (m[2] || '').length > scale) return null;
    return BigInt(m[1] + (m[2] || '').padEnd(scale, '0'));
  };
  var hint = function () {
    var v = scaled(vol.value, 3), p = scaled(price.value, 3);
    if (v === null || p === null) { total.placeholder = ''; return; }
    var cents = (v * p + 5000n) / 10000n;
    total.placeholder = (cents / 100n) + '.' + String(cents % 100n).padStart(2, '0');
  };
  if (vol && price && total) {
    vol.addEventListener('input', hint);
    price.addEventListener('input', hint);
    hint();
  }

  /* The VIN checked as it is typed. */
  var vin = document.querySelector('input[data-vin]'), result = document.getElementById('vin-result');
  if (vin && result) {
    var timer = 0;
    vin.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!vin.value.trim()) { result.textContent = ''; return; }
        fetch('/vin/check?vin=' + encodeURIComponent(vin.value), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.text() : ''; })
          .then(function (html) { result.innerHTML = html; })
          .catch(function () {});
      }, 250);
    });
  }

  /* Scans appear as they happen: the page asks for what is new and waits for the answer. */
  var scans = document.getElementById('scans');
  if (scans) {
    var seq = scans.getAttribute('data-seq');
    var poll = function () {
      fetch('/vin/scans?after=' + seq, { credentials: 'same-origin' }).then(function (r) {
        seq = r.headers.get('X-Scan-Seq') || seq;
        if (r.status === 200) return r.text().then(function (html) { scans.innerHTML = html; });
        if (!r.ok && r.status !== 204) throw new Error('scans: ' + r.status);
      }).then(poll, function () { setTimeout(poll, 3000); });
    };
    poll();
  }
})();
