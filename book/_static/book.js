// Small corrections to the theme's pages (Jupyter Book links every .js file in _static).

// Opened from the file system (file://), a page may not fetch other pages, so
// the search page cannot show a summary under each result: list the results
// without them instead of failing. Served over http(s), summaries are shown.
if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
  DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
}

document.addEventListener("DOMContentLoaded", () => {
  // "Label in name" (WCAG 2.5.3): what a screen reader calls a control must
  // contain the words a sighted reader sees on it, or voice control fails.
  // The search buttons show "Search Ctrl+K" and the code toggles "Show code
  // cell source", but their aria-labels say "Search" and "Toggle hidden
  // content": without the label, the visible text is the name.
  document.querySelectorAll(".search-button-field[aria-label], summary[aria-label]").forEach((element) => {
    element.removeAttribute("aria-label");
  });
  // The light/dark switch is labelled "Color mode"; the titles of its icons
  // ("Light", "Dark", ...) would count as visible words the label leaves out.
  // Font Awesome may already have turned each <i title> into <svg><title>.
  document.querySelectorAll(".theme-switch-button").forEach((button) => {
    button.querySelectorAll("[title]").forEach((icon) => icon.removeAttribute("title"));
    button.querySelectorAll("svg title").forEach((title) => title.remove());
    button.querySelectorAll("i, svg").forEach((icon) => {
      icon.removeAttribute("aria-labelledby");
      icon.setAttribute("aria-hidden", "true");
    });
  });
  // The bibliography is a list (role="list") of entries marked "doc-biblioentry",
  // a role ARIA 1.2 withdrew and that a list may not contain: make them list items.
  document.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach((entry) => {
    entry.setAttribute("role", "listitem");
  });
});
