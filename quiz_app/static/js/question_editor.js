/* The question editor: tick the correct option(s) instead of typing letters, and "+ 添加选项"
   instead of eight boxes. Without scripts the eight boxes and the 答案 letters still work: this
   only writes the letters into the same 答案 field. */
(function () {
  "use strict";
  var form = document.getElementById("question-editor");
  if (!form) return;
  var type = form.querySelector('[name="type"]');
  var answer = form.querySelector('[name="answer"]');
  var answerBox = form.querySelector("[data-answer-text]");
  var rows = Array.prototype.slice.call(form.querySelectorAll(".option-row"));
  var add = form.querySelector("[data-add-option]");
  var hint = form.querySelector("[data-tick-hint]");
  if (!type || !answer || !rows.length) return;

  function isChoice() { return type.value === "single" || type.value === "multiple"; }
  function textOf(row) { var i = row.querySelector("input[type=text], input:not([type])"); return i ? i.value.trim() : ""; }

  var ticks = rows.map(function (row) {
    var key = row.getAttribute("data-option");
    var label = document.createElement("label");
    label.className = "option-tick";
    var box = document.createElement("input");
    box.value = key;
    box.name = "correct-option";
    box.setAttribute("aria-label", "选项" + key + "是正确答案");
    label.appendChild(box);
    label.appendChild(document.createTextNode("正确"));
    row.insertBefore(label, row.firstChild);
    box.addEventListener("change", writeAnswer);
    return box;
  });

  function writeAnswer() {
    if (!isChoice()) return;
    answer.value = ticks.filter(function (t) { return t.checked; })
      .map(function (t) { return t.value; }).join("");
  }

  function readAnswer() {
    var letters = (answer.value || "").toUpperCase();
    ticks.forEach(function (t) { t.checked = letters.indexOf(t.value) >= 0; });
  }

  var shown = 0;
  function layout() {
    var choice = isChoice();
    ticks.forEach(function (t) { t.type = type.value === "single" ? "radio" : "checkbox"; });
    readAnswer();
    var filled = 0;
    rows.forEach(function (row, i) { if (textOf(row)) filled = i + 1; });
    shown = Math.max(shown, filled, choice ? 4 : 0);
    rows.forEach(function (row, i) { row.hidden = !choice || i >= shown; });
    if (add) add.hidden = !choice || shown >= rows.length;
    if (hint) hint.hidden = !choice;
    if (answerBox) answerBox.hidden = choice;
    var options = form.querySelector("fieldset.options");
    if (options) options.hidden = !(choice || filled);
  }

  if (add) {
    add.addEventListener("click", function () {
      shown = Math.min(rows.length, shown + 1);
      layout();
      var input = rows[shown - 1].querySelector("input[type=text], input:not([type])");
      if (input) input.focus();
    });
  }
  type.addEventListener("change", function () { if (isChoice()) writeAnswer(); layout(); });
  layout();
})();
