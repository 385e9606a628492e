// Alerts for new orders that match the operator's filter rules: the count in the title
// while the tab is hidden, a sound (WebAudio, opt-in), a desktop Notification (opt-in, on
// permission), "n new since you left" on return, and an opt-in aria-live announcement.

import { money } from "./format.js";
import { savePrefs } from "./prefs.js";

/** Announcements and notifications are coalesced over this long (a burst is one message). */
const COALESCE_MS = 1500;

/**
 * The alerts over `ui` ({ sound, notify, announce, announcer, banner, bannerText, bannerShow,
 * bannerClose }); `prefs`: the saved choices; `onShow()`: the banner's "Show" was pressed.
 */
export function createAlerts(ui, prefs, { onShow }) {
  const baseTitle = document.title;
  /** Matching orders that arrived while the tab was hidden. */
  let unseen = 0;
  let audio = null;
  let announceBuf = [];
  let announceTimer = null;
  let notifyBuf = [];
  let paused = false;

  ui.sound.checked = prefs.sound;
  ui.notify.checked = prefs.notify && globalThis.Notification?.permission === "granted";
  ui.announce.checked = prefs.announce;

  ui.sound.addEventListener("change", () => {
    prefs.sound = ui.sound.checked;
    savePrefs(prefs);
    // Made inside the operator's gesture: browsers start audio only after one.
    if (prefs.sound) beep(0.001);
  });
  ui.notify.addEventListener("change", async () => {
    prefs.notify = ui.notify.checked;
    savePrefs(prefs);
    if (!prefs.notify || typeof Notification !== "function") return;
    if (Notification.permission === "default") await Notification.requestPermission().catch(() => "denied");
    if (Notification.permission !== "granted") {
      ui.notify.checked = prefs.notify = false;
      savePrefs(prefs);
      ui.notifyHelp.textContent = "Notifications are blocked for this site (browser settings).";
    }
  });
  ui.announce.addEventListener("change", () => {
    prefs.announce = ui.announce.checked;
    savePrefs(prefs);
    ui.announcer.setAttribute("aria-live", prefs.announce ? "polite" : "off");
  });
  ui.announcer.setAttribute("aria-live", prefs.announce ? "polite" : "off");

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    document.title = baseTitle;
    if (unseen > 0) {
      ui.bannerText.textContent = `${unseen} new since you left`;
      ui.banner.hidden = false;
    }
    unseen = 0;
  });
  ui.bannerShow.addEventListener("click", () => {
    ui.banner.hidden = true;
    onShow();
  });
  ui.bannerClose.addEventListener("click", () => (ui.banner.hidden = true));

  function beep(gain = 0.15) {
    try {
      audio ??= new AudioContext();
      if (audio.state === "suspended") audio.resume().catch(() => {});
      const osc = audio.createOscillator();
      const g = audio.createGain();
      osc.frequency.value = 880;
      g.gain.value = gain;
      osc.connect(g).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.12);
    } catch { /* no audio here */ }
  }

  const describe = (o) => `${money(o.amount_fiat)} ${o.currency} (#${o.id})`;

  function flushAnnounce() {
    announceTimer = null;
    const n = announceBuf.length;
    if (!n) return;
    ui.announcer.textContent = n === 1 ? `New order: ${describe(announceBuf[0])}` : `${n} new orders, the latest ${describe(announceBuf[n - 1])}`;
    announceBuf = [];
  }

  function flushNotify() {
    const n = notifyBuf.length;
    if (!n || typeof Notification !== "function" || Notification.permission !== "granted") return;
    try {
      // One notification, replaced (tag), not one per order.
      const body = unseen > 1 ? `${unseen} new since you left; latest ${describe(notifyBuf[n - 1])}` : describe(notifyBuf[n - 1]);
      new Notification(unseen > 1 ? `${unseen} new orders` : "New order", { body, tag: "rampwire-new-orders" });
    } catch { /* notifications unavailable in this context */ }
  }

  return {
    /** New orders that match the operator's rules have arrived (in the table or behind the bar). */
    matched(orders) {
      if (!orders.length || paused) return;
      if (prefs.announce) {
        announceBuf.push(...orders.slice(-20));
        announceTimer ??= setTimeout(flushAnnounce, COALESCE_MS);
      }
      if (document.visibilityState === "visible") return;
      unseen += orders.length;
      document.title = `(${unseen}) ${baseTitle}`;
      if (prefs.sound) beep();
      // At once: a hidden tab's timers are throttled (the tag makes it one notification).
      if (prefs.notify) {
        notifyBuf = orders.slice(-20);
        flushNotify();
      }
    },
    /** Paused: no alerts. */
    setPaused(on) {
      paused = on;
    },
  };
}
