/* Keyboard shortcuts for the editorial pages. Progressive enhancement: every action is a plain
   form or link in the page; this file only finds it and clicks it. No inline scripts (CSP). */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  /* Keys typed into a text field, a select or an editable region are text, not shortcuts. A focused
     checkbox, radio or button takes no text: after ticking a row, p still publishes the checked rows. */
  var NOT_TEXT = /^(checkbox|radio|button|submit|reset|image|file|color|range|hidden)$/;

  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.closest("textarea, select, [contenteditable=''], [contenteditable='true']")) return true;
    return target.matches("input") && !NOT_TEXT.test(target.type);
  }

  function remember(name, value) {
    try { window.sessionStorage.setItem(name, value); } catch (error) { /* storage off: nothing kept */ }
  }

  function recall(name) {
    try {
      var value = window.sessionStorage.getItem(name);
      window.sessionStorage.removeItem(name);
      return value;
    } catch (error) {
      return null;
    }
  }

  function usable(element) {
    return element && !element.disabled && element.getAttribute("aria-disabled") !== "true";
  }

  function firstUsable(selector) {
    var found = document.querySelectorAll(selector);
    for (var i = 0; i < found.length; i += 1) {
      if (usable(found[i])) return found[i];
    }
    return null;
  }

  function activate(element) {
    var folded = element.closest("details:not([open])");
    if (folded) folded.open = true;
    if (element.matches("input, textarea, select")) {
      element.focus();
      if (element.select && element.type !== "number") element.select();
    } else {
      element.click();
    }
  }

  /* The queue's filter panel is open in the page (and on a desktop); on a phone it starts folded,
     unless it shows an error, so the first screen shows articles. */
  var filterPanel = document.querySelector("[data-filter-panel]");
  if (filterPanel && window.matchMedia("(max-width: 900px)").matches && !filterPanel.querySelector(".form-errors")) {
    filterPanel.open = false;
  }

  /* --- the shortcuts overlay ------------------------------------------------------ */

  var overlay = document.getElementById("shortcuts");
  var returnFocus = null;

  function openShortcuts() {
    if (!overlay) return;
    returnFocus = document.activeElement;
    overlay.classList.add("is-open");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    var close = overlay.querySelector("[data-close-shortcuts]");
    if (close) close.hidden = false;
    overlay.focus();
  }

  function closeShortcuts() {
    if (!overlay || !overlay.classList.contains("is-open")) return false;
    overlay.classList.remove("is-open");
    overlay.removeAttribute("role");
    overlay.removeAttribute("aria-modal");
    if (returnFocus && returnFocus.focus) returnFocus.focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-open-shortcuts]")) {
      event.preventDefault();
      openShortcuts();
    } else if (event.target.closest("[data-close-shortcuts]") || event.target === overlay) {
      closeShortcuts();
    }
  });

  /* --- queue rows: selection with j/k, actions on checked or selected rows -------- */

  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
  var current = -1;

  function selectRow(index) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (rows[current]) rows[current].classList.remove("is-current");
    current = index;
    var row = rows[current];
    row.classList.add("is-current");
    var link = row.querySelector("[data-row-link]");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  rows.forEach(function (row, index) {
    row.addEventListener("focusin", function () {
      if (rows[current]) rows[current].classList.remove("is-current");
      current = index;
      row.classList.add("is-current");
    });
  });

  /* The selection survives the reload after an action or a score save: the row named by the
     #row-N the page comes back to, else the row remembered on submit or, when the action took it out
     of the filtered queue, the first row after it that is still there (else the last row). */
  var POSITION = "newsroom:queue-row";
  var here = window.location.pathname + window.location.search;

  document.addEventListener("submit", function (event) {
    var row = rows[current];
    if (row && event.target.closest && event.target.closest(".queue")) {
      var from = rows.slice(current).map(function (each) { return each.id; });
      remember(POSITION, JSON.stringify({ page: here, ids: from }));
    }
  });

  function restoreSelection() {
    var saved = null;
    try { saved = JSON.parse(recall(POSITION) || "null"); } catch (error) { saved = null; }
    var index = -1;
    if (/^#row-\d+$/.test(window.location.hash)) {
      index = rows.indexOf(document.getElementById(window.location.hash.slice(1)));
    }
    if (index < 0 && saved && saved.page === here && Array.isArray(saved.ids)) {
      for (var i = 0; i < saved.ids.length && index < 0; i += 1) {
        index = rows.indexOf(document.getElementById(saved.ids[i]));
      }
      if (index < 0) index = rows.length - 1;
    }
    if (index >= 0) selectRow(index);
  }

  if (rows.length) restoreSelection();

  var bulkForm = document.getElementById("bulk");
  var selectAll = document.querySelector("[data-select-all]");
  var countLabel = document.querySelector("[data-selection-count]");

  function checkboxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-select]"));
  }

  function updateCount() {
    if (!countLabel) return;
    var checked = checkboxes().filter(function (box) { return box.checked; }).length;
    countLabel.textContent = checked ? checked + " selected" : "";
    if (selectAll) {
      selectAll.checked = checked > 0 && checked === checkboxes().length;
      selectAll.indeterminate = checked > 0 && checked < checkboxes().length;
    }
  }

  if (selectAll) {
    selectAll.hidden = false;
    selectAll.addEventListener("change", function () {
      checkboxes().forEach(function (box) { box.checked = selectAll.checked; });
      updateCount();
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-select]")) updateCount();
  });

  function bulkAction(key) {
    if (!bulkForm) return false;
    var button = bulkForm.querySelector("[data-bulk='" + key + "']");
    if (!button) return false;
    var anyChecked = checkboxes().some(function (box) { return box.checked; });
    if (!anyChecked) {
      var row = rows[current];
      var box = row && row.querySelector("input[data-select]");
      if (!box) return false;
      box.checked = true;
    }
    button.click();
    return true;
  }

  /* --- the review page: mark and next ------------------------------------------------- */

  /* "Then open the next item" is a setting this browser keeps; Shift with p, u or x inverts it once. */
  var thenNext = document.querySelector("[data-then-next]");
  var STAY = "newsroom:stay-after-action";

  function applyThenNextSetting() {
    try {
      thenNext.checked = window.localStorage.getItem(STAY) !== "1";
    } catch (error) { /* storage off: the page's default */ }
  }

  if (thenNext) {
    applyThenNextSetting();
    window.addEventListener("pageshow", applyThenNextSetting);
    thenNext.addEventListener("change", function () {
      try { window.localStorage.setItem(STAY, thenNext.checked ? "0" : "1"); } catch (error) { /* not kept */ }
    });
  }

  function statusAction(key, invert) {
    var button = firstUsable("#status-actions [data-shortcut='" + key + "']");
    if (!button) return false;
    if (thenNext && invert) thenNext.checked = !thenNext.checked;
    button.click();
    return true;
  }

  /* A destructive story decision asks first: the button's (or its form's) data-confirm. */
  document.addEventListener("submit", function (event) {
    var asker = event.submitter && event.submitter.hasAttribute("data-confirm") ? event.submitter : event.target;
    var question = asker.getAttribute && asker.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  /* --- the key map ------------------------------------------------------------------ */

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && closeShortcuts()) {
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey && event.target.closest) {
      var saving = event.target.closest("form[data-submit-shortcut]");
      if (saving) {
        event.preventDefault();
        if (saving.requestSubmit) saving.requestSubmit(); else saving.submit();
        return;
      }
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      if (!closeShortcuts()) openShortcuts();
      return;
    }
    if (overlay && overlay.classList.contains("is-open")) return;

    if (rows.length && (key === "j" || key === "k")) {
      event.preventDefault();
      selectRow(current < 0 ? 0 : current + (key === "j" ? 1 : -1));
      return;
    }
    if (rows.length && (key === "o" || key === "Enter") && rows[current]) {
      if (key === "Enter" && event.target.closest && event.target.closest("a, button, input, summary")) return;
      var link = rows[current].querySelector("[data-row-link]");
      if (link) {
        event.preventDefault();
        link.click();
      }
      return;
    }
    if (key === "s" && rows[current]) {
      var story = rows[current].querySelector("[data-story]");
      if (story) {
        event.preventDefault();
        story.open = !story.open;
        return;
      }
    }
    if (key === "e" && rows[current]) {
      var score = rows[current].querySelector("input.score-input");
      if (score) {
        event.preventDefault();
        score.focus();
        score.select();
        return;
      }
    }
    var action = key.toLowerCase();
    if ((action === "p" || action === "u" || action === "x") &&
        (bulkAction(action) || statusAction(action, event.shiftKey))) {
      event.preventDefault();
      return;
    }
    if (!/^[a-z\/]$/.test(key)) return;
    var target = firstUsable("[data-shortcut='" + key + "']");
    if (target) {
      event.preventDefault();
      activate(target);
    }
  });
})();
