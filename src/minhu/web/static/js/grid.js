// The grid worker's patrol: "记录当前位置" asks the phone for its position (WGS-84, what browsers report) and sends
// it with the form. Without a position the form is not sent, and the page says why.
(function () {
  "use strict";
  var form = document.getElementById("mark-point");
  if (!form) { return; }
  var said = document.getElementById("mark-status");
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { return; }
    event.preventDefault();
    if (!navigator.geolocation) { said.textContent = "此浏览器无法定位，请在手机浏览器中打开"; return; }
    said.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.latitude.value = position.coords.latitude.toFixed(6);
      form.elements.longitude.value = position.coords.longitude.toFixed(6);
      sending = true;
      form.submit();
    }, function () {
      said.textContent = "未取得当前位置：请允许浏览器使用位置后重试";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
})();

// The report form: the part for a matter solved on the spot shows when "已就地解决" is ticked.
(function () {
  "use strict";
  var solved = document.getElementById("solved");
  var part = document.getElementById("solved-part");
  var send = document.getElementById("send");
  if (!solved || !part) { return; }
  function show() {
    part.hidden = !solved.checked;
    part.disabled = !solved.checked;  // its fields (the photos after) go with the form only when ticked
    if (send) { send.textContent = solved.checked ? "登记并办结" : "上报"; }
  }
  solved.addEventListener("change", show);
  show();
})();
