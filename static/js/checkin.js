/* The check-in page: read a badge's QR code with the camera and submit its code in the page's own form.
   Progressive enhancement: without JavaScript, a camera or permission, the code is typed in the same form.
   The browser's BarcodeDetector is used when it reads QR codes; else the vendored jsQR (static/vendor/jsqr). */
(function () {
  "use strict";
  var box = document.querySelector("[data-checkin-camera]");
  var form = document.querySelector(".checkin-code-form");
  if (!box || !form || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var input = form.querySelector("input[name=code]");
  var startButton = box.querySelector("[data-camera-start]");
  var stopButton = box.querySelector("[data-camera-stop]");
  var video = box.querySelector("[data-camera-video]");
  var status = box.querySelector("[data-camera-status]");
  var detector = null;
  try {
    if ("BarcodeDetector" in window) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  } catch (e) {
    detector = null;
  }
  if (!detector && typeof window.jsQR !== "function") return;
  box.hidden = false;

  var stream = null;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var timer = null;

  function stop() {
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function found(text) {
    var code = (text || "").trim();
    if (!code) return false;
    stop();
    input.value = code;
    status.textContent = status.getAttribute("data-found") + " " + code;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    return true;
  }

  function readWithJsQR() {
    var width = video.videoWidth, height = video.videoHeight;
    if (!width || !height) return null;
    canvas.width = width;
    canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    var image = context.getImageData(0, 0, width, height);
    var result = window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
    return result ? result.data : null;
  }

  function tick() {
    if (!stream) return;
    var next = function () { if (stream) timer = window.setTimeout(tick, 150); };
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (!(codes.length && found(codes[0].rawValue))) next();
      }, next);
    } else {
      if (!found(readWithJsQR())) next();
    }
  }

  startButton.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(
      function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        status.textContent = status.getAttribute("data-reading");
        video.play().then(tick, tick);
      },
      function () {
        status.textContent = status.getAttribute("data-denied");
        input.focus();
      }
    );
  });
  stopButton.addEventListener("click", function () {
    stop();
    input.focus();
  });
  window.addEventListener("pagehide", stop);
})();
