/**
 * The dashboard page (src/drill/dashboard-page.ts) and its data (dashboard-model.ts): self-contained (no
 * external resource of any kind), the embedded data round-trips, a drill report becomes report.html's
 * data, and text from Envoy or the report cannot close the script element.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportDashboardData, scriptJson, type DashboardData } from '../../src/drill/dashboard-model.js';
import { dashboardHtml } from '../../src/drill/dashboard-page.js';
import type { DrillReport } from '../../src/drill/report.js';

const report = (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/drill/report.broker-loss.json'), 'utf8')) as { report: DrillReport }).report;

function embedded(html: string): DashboardData {
  const m = /<script id="dashboard-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  return JSON.parse(m![1]!) as DashboardData;
}

describe('dashboard page', () => {
  it('is self-contained: no src/href other than inline data, no CDN, no web fonts, no @import', () => {
    const html = dashboardHtml(reportDashboardData(report));
    const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
    expect(refs).toEqual(['data:,']);
    expect(html).not.toMatch(/@import|@font-face|url\(\s*['"]?https?:/);
    // The only absolute URLs are the SVG and XHTML namespaces the script creates elements in.
    const urls = [...html.matchAll(/https?:\/\/[^\s'"<)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xhtml']));
  });

  it('report.html carries every routing sample of the drill, its steps with their windows, and acks per cluster', () => {
    const data = embedded(dashboardHtml(reportDashboardData(report)));
    expect(data.live).toBe(false);
    expect(data.actions).toBeUndefined();
    expect(data.routing).toEqual(report.timeline.routing);
    expect(data.steps!.map((s) => s.name)).toEqual(report.steps.map((s) => s.name));
    expect(data.steps!.every((s) => /–|—/.test(s.window))).toBe(true);
    expect(data.acks).toHaveLength(report.timeline.acks.length);
    expect(data.title).toMatch(new RegExp(`^drill ${report.scenario}: (passed|FAILED)$`));
  });

  it('text cannot end the script element or break the JSON', () => {
    const nasty = '</script><script>alert(1)</script>\u2028';
    expect(scriptJson(nasty)).not.toContain('</script>');
    const data: DashboardData = { title: nasty, live: true, listenerNames: [], routing: [], connections: [], acks: [], events: [{ at: 1, kind: 'host', message: nasty }] };
    const html = dashboardHtml(data);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(embedded(html).events[0]!.message).toBe(nasty);
  });
});
