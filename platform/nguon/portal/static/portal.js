// The browser's own messages for required and patterned fields follow its language, not
// the page's: an English browser would say "Please fill out this field". Say it in
// Vietnamese instead; the server checks every field again and answers in Vietnamese.
(function () {
  "use strict";

  function messageFor(field) {
    var v = field.validity;
    if (v.valueMissing) {
      if (field.type === "checkbox") return "Hãy đánh dấu ô này nếu bạn muốn tiếp tục.";
      if (field.type === "file") return "Hãy chọn tệp.";
      if (field.tagName === "SELECT") return "Hãy chọn một mục trong danh sách.";
      return "Hãy điền ô này.";
    }
    if (v.patternMismatch) {
      if (field.title) return field.title;
      if ((field.pattern || "").indexOf("/") !== -1) {
        return "Hãy nhập ngày theo dạng ngày/tháng/năm, ví dụ 02/12/2026.";
      }
      return "Giá trị chưa đúng dạng yêu cầu.";
    }
    if (v.tooLong) return "Tối đa " + field.maxLength + " ký tự.";
    if (v.tooShort) return "Tối thiểu " + field.minLength + " ký tự.";
    if (v.rangeUnderflow) return "Giá trị nhỏ nhất là " + field.min + ".";
    if (v.rangeOverflow) return "Giá trị lớn nhất là " + field.max + ".";
    if (v.typeMismatch || v.badInput || v.stepMismatch) return "Giá trị không hợp lệ.";
    return "";
  }

  document.addEventListener(
    "invalid",
    function (event) {
      var field = event.target;
      if (!field.setCustomValidity) return;
      field.setCustomValidity("");
      field.setCustomValidity(messageFor(field));
    },
    true
  );

  function reset(event) {
    if (event.target.setCustomValidity) event.target.setCustomValidity("");
  }
  document.addEventListener("input", reset, true);
  document.addEventListener("change", reset, true);
})();
