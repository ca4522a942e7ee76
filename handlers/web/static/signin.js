// Telegram opens the Mini App with its signed sign-in data in the address's fragment
// (#tgWebAppData=...), as telegram-web-app.js reads it too; it is posted to the club,
// which checks it (the form's action: the member's or the staff's sign-in). Kept for this
// tab so that a reload after the session ends signs in again.
(function () {
  "use strict";
  var form = document.getElementById("signin");
  var data = "";
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  if (fragment.get("tgWebAppData")) {
    data = fragment.get("tgWebAppData");
    try { window.sessionStorage.setItem("club_init", data); } catch (e) { /* private mode */ }
  } else if (window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData) {
    data = window.Telegram.WebApp.initData;
  } else {
    try { data = window.sessionStorage.getItem("club_init") || ""; } catch (e) { data = ""; }
  }
  if (data) {
    form.elements.init_data.value = data;
    form.submit();
  } else if (form.dataset.signedIn === "1") {
    window.location.replace(form.dataset.next);
  } else {
    document.getElementById("wait").hidden = true;
    document.getElementById("outside").hidden = false;
    var byPhone = document.getElementById("by-phone"); // members without Telegram: a code by SMS
    if (byPhone) { byPhone.hidden = false; } // (the staff's panel has none)
  }
})();
