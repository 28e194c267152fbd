// The reporter's photos: each chosen photo is uploaded at once (one request per photo), shown back as minhu keeps
// it (upright, resized, without its EXIF block), and sent with the report as a hidden token. A photo that
// carries the place it was taken offers that place to the map pin. A form may hold several boxes of photos
// (before and after on the grid worker's page): each box names its tokens with its data-name.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }
  var usePlace = document.getElementById("pin-photo");
  var pin = document.getElementById("pin");
  var offered = null;
  Array.prototype.forEach.call(document.querySelectorAll("fieldset.photos"), box);
  if (usePlace) {
    usePlace.addEventListener("click", function () {
      if (offered && pin && pin.minhuPin) { pin.minhuPin.show(offered.latitude, offered.longitude, "已使用照片拍摄位置"); }
    });
  }

  function box(fieldset) {
    var input = fieldset.querySelector("input[type=file]");
    if (!input) { return; }
    var list = fieldset.querySelector(".photo-list");
    var add = fieldset.querySelector(".photo-add");
    var said = fieldset.querySelector(".photo-status");
    var csrf = fieldset.form ? fieldset.form.elements.csrf_token.value
      : document.querySelector("input[name=csrf_token]").value;
    var name = fieldset.getAttribute("data-name") || "photos";
    var max = parseInt(fieldset.getAttribute("data-max"), 10) || 9;
    add.hidden = false;

    function count() { return list.querySelectorAll("li").length; }

    function refresh() { add.hidden = count() >= max; }

    function remove(item, token) {
      var body = new FormData();
      fetch("/public/photos/" + encodeURIComponent(token) + "/remove", {
        method: "POST", body: body, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin"
      });
      item.remove();
      refresh();
      said.textContent = "已移除照片，还可添加 " + (max - count()) + " 张";
    }

    function shown(kept) {
      var item = document.createElement("li");
      var image = document.createElement("img");
      image.src = kept.url;
      image.alt = "已添加的照片";
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = name; hidden.value = kept.token;
      var drop = document.createElement("button");
      drop.type = "button"; drop.className = "link photo-remove"; drop.textContent = "移除";
      drop.setAttribute("aria-label", "移除这张照片");
      drop.addEventListener("click", function () { remove(item, kept.token); });
      item.appendChild(image); item.appendChild(hidden); item.appendChild(drop);
      list.appendChild(item);
      if (kept.position && usePlace && pin && pin.minhuPin) {
        offered = kept.position;
        usePlace.hidden = false;
        if (!pin.minhuPin.isSet()) { said.textContent = "这张照片带有拍摄位置，可点“使用照片拍摄位置”标到地图上"; }
      }
    }

    function upload(file) {
      var body = new FormData();
      body.append("photo", file, file.name);
      return fetch("/public/photos", {
        method: "POST", body: body, headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok) {
            var message = answer.error && answer.error.message ? answer.error.message : "照片上传失败，请重试";
            throw new Error(file.name + "：" + message);
          }
          return answer;
        });
      });
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || [], 0, max - count());
      var skipped = (input.files ? input.files.length : 0) - files.length;
      input.value = "";
      if (!files.length) { said.textContent = "最多添加 " + max + " 张照片"; return; }
      said.textContent = "正在上传 " + files.length + " 张照片…";
      var problems = [];
      files.reduce(function (previous, file) {
        return previous.then(function () {
          return upload(file).then(shown, function (error) { problems.push(error.message); });
        });
      }, Promise.resolve()).then(function () {
        refresh();
        var parts = [];
        if (problems.length) { parts.push(problems.join("；")); }
        if (skipped > 0) { parts.push("最多 " + max + " 张，其余 " + skipped + " 张未添加"); }
        said.textContent = parts.length ? parts.join("；") : "已添加 " + count() + " 张照片";
      });
    });

    Array.prototype.forEach.call(list.querySelectorAll(".photo-remove"), function (button) {
      button.addEventListener("click", function () { remove(button.parentNode, button.getAttribute("data-token")); });
    });
    refresh();
  }
})();
