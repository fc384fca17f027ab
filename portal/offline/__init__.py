"""The installable, offline-capable app shell: web app manifest, service worker, offline page."""
