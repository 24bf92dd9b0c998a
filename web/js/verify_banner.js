/* Email verification: a banner for unverified users (resend the mail, check again) and a
 * "verified" mark beside the name once the address is verified. */
import { $, api, el, hooks, state, toast } from "./core.js";

const BANNER_ID = "verify-banner";

function removeBanner() {
  $(BANNER_ID)?.remove();
}

function markVerified() {
  if (!$("verified-mark")) {
    $("me-name").after(el("span", { id: "verified-mark", className: "verified-mark", title: "Email verified" }, "✓ verified"));
  }
}

async function resend(button, status) {
  button.disabled = true;
  try {
    const data = await api("POST", "/api/auth/resend-verification");
    if (data.sent) status.textContent = `Sent: check ${state.me.email}.`;
    else await check(status);
  } catch (error) {
    status.textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

async function check(status) {
  try {
    const data = await api("GET", "/api/auth/me");
    state.me = data.user;
  } catch (error) {
    toast(error.message);
    return;
  }
  if (!state.me.emailVerified) {
    status.textContent = "Not verified yet: open the link in the mail we sent.";
    return;
  }
  const banner = $(BANNER_ID);
  if (banner) {
    banner.classList.add("done");
    banner.replaceChildren(el("span", { className: "verify-text" }, "Email verified ✓ Thank you!"));
    setTimeout(removeBanner, 4000);
  }
  markVerified();
}

function showBanner() {
  removeBanner();
  const status = el("span", { className: "verify-status", role: "status" });
  const resendButton = el("button", { type: "button", id: "verify-resend" }, "Resend mail");
  resendButton.addEventListener("click", () => resend(resendButton, status));
  const banner = el(
    "div",
    { id: BANNER_ID, className: "verify-banner", role: "region", "aria-label": "Email verification" },
    el("span", { className: "verify-text" }, `Please verify your email address: we sent a link to ${state.me.email}.`),
    resendButton,
    el("button", { type: "button", id: "verify-check", onclick: () => check(status) }, "I've verified it"),
    status,
  );
  $("app-view").prepend(banner);
}

hooks.enterApp.push(() => {
  if (state.me.emailVerified === false) showBanner();
  else if (state.me.emailVerified) markVerified();
});
hooks.signOut.push(() => {
  removeBanner();
  $("verified-mark")?.remove();
});
