// The scoreboard's filters (Jupyter Book links every .js file in _static; this one acts only
// on a page with a summary table, which the scoreboard page has). Nothing is fetched: the
// table of claims carries each row's paper and verdict (data-paper, data-verdict), and the
// filters show or hide its rows. Without scripts the page shows every claim.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("table.scoreboard-summary");
  const claims = document.querySelector("table.scoreboard-claims");
  if (!summary || !claims) return;
  const rows = [...claims.tBodies[0].rows];
  const distinct = (key) => [...new Set(rows.map((r) => r.dataset[key]))];
  const form = document.createElement("form");
  form.className = "scoreboard-filters";
  form.setAttribute("role", "search");
  form.setAttribute("aria-label", "Filter the claims");
  const status = document.createElement("p");
  status.className = "scoreboard-status";
  status.setAttribute("aria-live", "polite");

  const choice = (key, label) => {
    const wrap = document.createElement("label");
    wrap.textContent = label + " ";
    const select = document.createElement("select");
    select.name = key;
    const option = (value, text) => {
      const o = document.createElement("option");
      o.value = value;
      o.textContent = text;
      select.append(o);
    };
    option("", `any (${rows.length})`);
    distinct(key).forEach((v) => option(v, `${v} (${rows.filter((r) => r.dataset[key] === v).length})`));
    wrap.append(select);
    form.append(wrap);
    return select;
  };
  const paper = choice("paper", "Paper");
  const verdict = choice("verdict", "Verdict");
  const reset = document.createElement("button");
  reset.type = "button";
  reset.textContent = "Show all";
  form.append(reset);

  const apply = () => {
    let shown = 0;
    rows.forEach((r) => {
      const keep = (!paper.value || r.dataset.paper === paper.value) && (!verdict.value || r.dataset.verdict === verdict.value);
      r.hidden = !keep;
      shown += keep;
    });
    status.textContent = shown === rows.length ? `Showing all ${rows.length} claims.`
      : `Showing ${shown} of ${rows.length} claims` + (paper.value ? ` of ${paper.value}` : "")
        + (verdict.value ? ` whose verdict is “${verdict.value}”` : "") + ".";
  };
  paper.addEventListener("change", apply);
  verdict.addEventListener("change", apply);
  reset.addEventListener("click", () => { paper.value = ""; verdict.value = ""; apply(); });
  form.addEventListener("submit", (event) => event.preventDefault());

  // Each count of the summary filters the table to the claims it counts.
  summary.querySelectorAll("span.count").forEach((count) => {
    if (count.textContent.trim() === "0") return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "count";
    button.textContent = count.textContent;
    const p = count.dataset.paper || "", v = count.dataset.verdict || "";
    Object.assign(button.dataset, count.dataset);
    button.title = `Show the ${count.textContent} claims` + (p ? ` of ${p}` : "") + (v ? ` whose verdict is “${v}”` : "");
    button.addEventListener("click", () => {
      paper.value = p;
      verdict.value = v;
      apply();
      form.scrollIntoView({block: "start"});
    });
    count.replaceWith(button);
  });
  claims.before(form, status);
  apply();
});
