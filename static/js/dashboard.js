// The dashboard's charts (Chart.js, global `Chart`), drawn from the numbers the page
// carries in <script id="dashboard-charts" type="application/json">.
(function () {
  "use strict";

  var SOURCE_COLOURS = {
    web_form: "#4f46e5",
    referral: "#10b981",
    social: "#f59e0b",
    ads: "#ec4899",
    import: "#0ea5e9",
    api: "#8b5cf6",
    other: "#94a3b8",
  };
  var numberFormat = new Intl.NumberFormat();

  function dayLabel(iso) {
    var parts = iso.split("-");
    var day = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    return day.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var charts = JSON.parse(source.textContent);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#475569";
    Chart.defaults.maintainAspectRatio = false;
    var grid = { color: "#e2e8f0" };
    var ticks = { precision: 0, callback: function (value) { return numberFormat.format(value); } };

    var bySource = document.getElementById("chart-leads-by-source");
    if (bySource) {
      new Chart(bySource, {
        type: "bar",
        data: {
          labels: charts.leads_by_source.labels.map(dayLabel),
          datasets: charts.leads_by_source.datasets.map(function (dataset) {
            return {
              label: dataset.label,
              data: dataset.data,
              backgroundColor: SOURCE_COLOURS[dataset.source] || "#94a3b8",
              borderRadius: 2,
              maxBarThickness: 28,
            };
          }),
        },
        options: {
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
          scales: {
            x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
            y: { stacked: true, beginAtZero: true, grid: grid, ticks: ticks },
          },
        },
      });
    }

    var funnel = document.getElementById("chart-funnel");
    if (funnel) {
      new Chart(funnel, {
        type: "bar",
        data: {
          labels: charts.funnel.map(function (row) { return row.stage; }),
          datasets: [{
            label: "Leads",
            data: charts.funnel.map(function (row) { return row.count; }),
            backgroundColor: charts.funnel.map(function (row, index) {
              var alpha = 1 - (index / Math.max(charts.funnel.length, 1)) * 0.6;
              return "rgba(79, 70, 229, " + alpha.toFixed(2) + ")";
            }),
            borderRadius: 4,
          }],
        },
        options: {
          indexAxis: "y",
          plugins: { legend: { display: false } },
          scales: {
            x: { beginAtZero: true, grid: grid, ticks: ticks },
            y: { grid: { display: false } },
          },
        },
      });
    }

    // Net revenue per month, one bar series per currency: amounts of two currencies are
    // never stacked or added, and each bar's tooltip names its currency.
    var revenue = document.getElementById("chart-revenue-by-month");
    if (revenue && charts.revenue_by_month) {
      var CURRENCY_COLOURS = ["#4f46e5", "#10b981", "#f59e0b", "#ec4899", "#0ea5e9", "#8b5cf6"];
      new Chart(revenue, {
        type: "bar",
        data: {
          labels: charts.revenue_by_month.labels,
          datasets: charts.revenue_by_month.datasets.map(function (dataset, index) {
            return {
              label: dataset.currency,
              data: dataset.data,
              backgroundColor: CURRENCY_COLOURS[index % CURRENCY_COLOURS.length],
              borderRadius: 3,
              maxBarThickness: 32,
            };
          }),
        },
        options: {
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { position: "bottom", labels: { boxWidth: 12 } },
            tooltip: {
              callbacks: {
                label: function (item) {
                  return item.dataset.label + " " + numberFormat.format(item.parsed.y);
                },
              },
            },
          },
          scales: {
            x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } },
            y: { beginAtZero: true, grid: grid, ticks: { callback: function (value) { return numberFormat.format(value); } } },
          },
        },
      });
    }

    var campaigns = document.getElementById("chart-campaigns");
    if (campaigns) {
      new Chart(campaigns, {
        type: "bar",
        data: {
          labels: charts.campaigns.map(function (row) {
            return row.name.length > 18 ? row.name.slice(0, 17) + "…" : row.name;
          }),
          datasets: [
            { label: "Opened", data: charts.campaigns.map(function (row) { return row.opened; }), backgroundColor: "#4f46e5", borderRadius: 3 },
            { label: "Clicked", data: charts.campaigns.map(function (row) { return row.clicked; }), backgroundColor: "#10b981", borderRadius: 3 },
          ],
        },
        options: {
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
          scales: {
            x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: false } },
            y: { beginAtZero: true, grid: grid, ticks: ticks },
          },
        },
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
