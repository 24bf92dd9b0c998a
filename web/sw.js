/* StudySync's service worker: shows a push as a notification; a click focuses the app (or
 * opens it) on the group. The payload is {type, groupId?, title, body, url, messageId?}. */
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { title: "StudySync", body: event.data ? event.data.text() : "" };
  }
  const title = data.title || "StudySync";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || "",
      tag: data.groupId ? `group-${data.groupId}` : data.type || "studysync",
      renotify: true,
      icon: "/static/favicon.svg",
      data: { url: data.url || "/", groupId: data.groupId || null },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const { url, groupId } = event.notification.data || {};
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin) {
          await client.focus();
          if (groupId) client.postMessage({ type: "open-group", groupId });
          return;
        }
      }
      await self.clients.openWindow(url || "/");
    })(),
  );
});
