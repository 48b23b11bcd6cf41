// Progressive enhancement: the profile menu toggle and e-mail threads in a dialog over the
// calendar. Without JavaScript every link is a normal page.
(function () {
	'use strict';
	var profile = document.querySelector('.profile');
	var menu = document.getElementById('profile-menu');
	if (profile && menu) {
		profile.addEventListener('click', function () {
			var open = menu.classList.toggle('open');
			profile.setAttribute('aria-expanded', open ? 'true' : 'false');
		});
		document.addEventListener('keydown', function (e) {
			if (e.key === 'Escape' && menu.classList.contains('open')) {
				menu.classList.remove('open');
				profile.setAttribute('aria-expanded', 'false');
				profile.focus();
			}
		});
		document.addEventListener('click', function (e) {
			if (!e.target.closest('.profile-wrap')) {
				menu.classList.remove('open');
				profile.setAttribute('aria-expanded', 'false');
			}
		});
	}

	var dialog = document.getElementById('message-dialog');
	if (!dialog || typeof dialog.showModal !== 'function') return;
	var body = dialog.querySelector('.dialog-body');
	var closeBtn = dialog.querySelector('.dialog-close');
	var opener = null;
	closeBtn.addEventListener('click', function () { dialog.close(); });
	dialog.addEventListener('close', function () {
		body.textContent = '';
		if (opener) opener.focus();
	});
	dialog.addEventListener('click', function (e) {
		if (e.target === dialog) dialog.close();   // a click on the backdrop
	});
	document.addEventListener('click', function (e) {
		var a = e.target.closest('a.item.email');
		if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
		e.preventDefault();
		opener = a;
		var url = a.getAttribute('href') + '?partial=1';
		fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
			.then(function (r) {
				if (!r.ok || r.redirected) throw new Error('status ' + r.status);
				return r.text();
			})
			.then(function (html) {
				// The fragment is the app's own escaped markup (same origin, CSP without inline script).
				var doc = new DOMParser().parseFromString(html, 'text/html');
				body.replaceChildren.apply(body, Array.prototype.slice.call(doc.body.childNodes));
				dialog.showModal();
				closeBtn.focus();
			})
			.catch(function () { window.location.href = a.getAttribute('href'); });
	});
})();
