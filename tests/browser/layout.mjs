// The console's layout check: no two cells of a table row may overlap, and no cell's rendered
// contents may leave the cell. A cell's own box is not enough to see this: table cells never
// overlap one another, but nowrap text wider than its column paints over the next column, which
// is exactly how dates and day counts ran into each other. So each cell is measured twice, as its
// box and as the extent of what it renders (a Range over its contents), and every pair of cells
// in a row is compared both ways.

// Runs in the page. Returns one sentence per problem found, empty when the layout is sound.
export async function layoutProblems(page) {
  return page.evaluate(() => {
    // Sub-pixel slack: adjacent cells share an edge, and rounding can make them touch by a hair.
    const SLACK = 0.5;
    const problems = [];
    const px = (n) => Math.round(n * 10) / 10;
    const span = (r) => `x ${px(r.left)}-${px(r.right)}`;
    const overlaps = (a, b) =>
      Math.min(a.right, b.right) - Math.max(a.left, b.left) > SLACK &&
      Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > SLACK;
    const inside = (inner, outer) =>
      inner.left >= outer.left - SLACK && inner.right <= outer.right + SLACK &&
      inner.top >= outer.top - SLACK && inner.bottom <= outer.bottom + SLACK;

    // The union of what the cell paints: its text runs and the boxes of its elements. An empty
    // cell paints nothing and has no extent.
    function extent(cell) {
      const range = document.createRange();
      range.selectNodeContents(cell);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 || r.height > 0);
      if (rects.length === 0) return null;
      return {
        left: Math.min(...rects.map((r) => r.left)),
        right: Math.max(...rects.map((r) => r.right)),
        top: Math.min(...rects.map((r) => r.top)),
        bottom: Math.max(...rects.map((r) => r.bottom)),
      };
    }

    for (const section of document.querySelectorAll("section.scope")) {
      const scope = `${section.dataset.account}/${section.dataset.region}`;
      const table = section.querySelector("table");
      const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
      // A table wider than its section is clipped or has to be scrolled sideways at this width, and
      // so is anything that overflows the section or the table's container.
      const tableWidth = table.getBoundingClientRect().width;
      if (tableWidth > section.clientWidth + SLACK) {
        problems.push(`${scope}: the table (${px(tableWidth)} px) is wider than its section (${section.clientWidth} px)`);
      }
      for (let box = table.parentElement; box && section.contains(box); box = box.parentElement) {
        if (box.scrollWidth > box.clientWidth) {
          problems.push(`${scope}: <${box.localName} class="${box.className}"> overflows sideways (scrollWidth ${box.scrollWidth} > clientWidth ${box.clientWidth})`);
        }
      }
      for (const tr of table.querySelectorAll("tr")) {
        const rowName = `${scope} row ${tr.dataset.id || "header"}`;
        const cells = [...tr.children].map((cell, i) => ({
          name: headers[i] || `column ${i + 1}`,
          text: JSON.stringify(cell.textContent.trim().slice(0, 40)),
          cell,
          box: cell.getBoundingClientRect(),
          ext: extent(cell),
        }));
        for (const c of cells) {
          if (c.ext && !inside(c.ext, c.box)) {
            problems.push(`${rowName}: ${c.text} in ${c.name} paints at ${span(c.ext)}, outside its cell at ${span(c.box)}`);
          } else if (c.cell.scrollWidth > c.cell.clientWidth) {
            problems.push(`${rowName}: ${c.text} in ${c.name} overflows its cell (scrollWidth ${c.cell.scrollWidth} > clientWidth ${c.cell.clientWidth})`);
          }
        }
        for (let i = 0; i < cells.length; i++) {
          for (let j = i + 1; j < cells.length; j++) {
            const a = cells[i], b = cells[j];
            const pairs = [["cell", a.box, "cell", b.box], ["text", a.ext, "cell", b.box],
              ["cell", a.box, "text", b.ext], ["text", a.ext, "text", b.ext]];
            const hit = pairs.find(([, ra, , rb]) => ra && rb && overlaps(ra, rb));
            if (hit) {
              const [ka, ra, kb, rb] = hit;
              problems.push(`${rowName}: ${a.name} ${ka} ${a.text} at ${span(ra)} overlaps ${b.name} ${kb} ${b.text} at ${span(rb)}`);
            }
          }
        }
      }
    }
    return problems;
  });
}
