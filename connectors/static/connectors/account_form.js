// Show only the settings of the CRM type chosen on the external account form.
(function () {
  function update() {
    var select = document.getElementById("id_crm_type");
    if (!select) return;
    document.querySelectorAll("fieldset.crm-settings").forEach(function (fieldset) {
      var shown = fieldset.classList.contains("crm-settings-" + select.value);
      fieldset.hidden = !shown;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_crm_type");
    if (select) select.addEventListener("change", update);
    update();
  });
})();
