// The legal staff's import page: a chosen JSON file is read into the text box (without this script,
// the file's content is pasted there). Nothing leaves the page until the form is posted.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[type=file][data-fills]");
  Array.prototype.forEach.call(inputs, function (input) {
    var target = document.getElementById(input.getAttribute("data-fills"));
    if (!target) return;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onload = function () { target.value = String(reader.result || ""); target.focus(); };
      reader.readAsText(file, "utf-8");
    });
  });
})();
