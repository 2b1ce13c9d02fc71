import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstRoutingChange, firstTimeIn, renderMarkdown, renderSvg, timeIn, type DrillReport, type RoutingSample } from '../../src/drill/report.js';
import { parseSvg } from './drill-xml.js';

// A real report: see "capture" inside the file for the command that wrote it.
const captured = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'drill', 'report.broker-loss.json'), 'utf8')) as {
  capture: { command: string };
  report: DrillReport;
};
const report = captured.report;

describe('timeline measurements', () => {
  const r: RoutingSample[] = [
    { at: 0, activeCluster: 'primary', listeners: ['primary', 'primary'] },
    { at: 1000, activeCluster: 'split', listeners: ['secondary', 'primary'] },
    { at: 4000, activeCluster: 'secondary', listeners: ['secondary', 'secondary'] },
    { at: 9000, activeCluster: 'split', listeners: ['primary', 'secondary'] },
    { at: 9500, activeCluster: 'primary', listeners: ['primary', 'primary'] },
  ];

  it('time split adds up every split stretch', () => {
    expect(timeIn('split', r, 12_000)).toBe(3000 + 500);
    expect(timeIn('primary', r, 12_000)).toBe(1000 + 2500);
  });

  it('first routing change after a moment', () => {
    expect(firstRoutingChange(r, 200)?.at).toBe(1000);
    expect(firstRoutingChange(r, 4000)?.at).toBe(9000);
    expect(firstRoutingChange(r, 9600)).toBeUndefined();
  });

  it('first time in a state: the moment itself when already in it', () => {
    expect(firstTimeIn(r, 5000, 'primary')).toBe(9500);
    expect(firstTimeIn(r, 9700, 'primary')).toBe(9700);
    expect(firstTimeIn(r, 100, 'none')).toBeUndefined();
  });
});

describe('report.md', () => {
  const md = renderMarkdown(report);

  it('leads with the verdict and the measured-vs-predicted table', () => {
    expect(md.split('\n')[0]).toBe(`# Drill \`${report.scenario}\`: passed ✓`);
    expect(md).toMatch(/\| detection \(fault → Envoy routing change\) \| \d+\.\d s[^|]* \| \d+\.\d–\d+\.\d s \(health check\) \|/);
    expect(md).toContain(`| acknowledged messages missing | ${report.ackedMissing} | 0 |`);
    expect(md).toContain('![routing timeline](timeline.svg)');
  });

  it('has one row per step with expected and observed routing', () => {
    for (const [i, s] of report.steps.entries()) expect(md).toContain(`| ${i + 1} | ${s.name} |`);
    expect(md).toContain('| split (listener 0 → secondary; listeners 1, 2 → primary) |');
  });

  it('a failed drill says which step and in what state the environment is', () => {
    const failed: DrillReport = {
      ...report,
      passed: false,
      steps: [{ ...report.steps[0]!, passed: false, error: 'Envoy did not reach split | in time' }],
      failure: { step: report.steps[0]!.name, message: 'Envoy did not reach split', environment: 'left as it failed' },
    };
    const text = renderMarkdown(failed);
    expect(text.split('\n')[0]).toBe(`# Drill \`${report.scenario}\`: FAILED ✗`);
    expect(text).toContain('## Failure');
    expect(text).toContain('Environment: left as it failed.');
    expect(text).toContain('split \\| in time'); // table cells stay cells
  });
});

describe('timeline.svg', () => {
  it('is well-formed XML with one coloured segment per routing stretch and lane', async () => {
    const svg = await parseSvg(renderSvg(report));
    expect(svg.root).toBe('svg');
    const lanes = report.brokers + 1;
    const stretches = report.timeline.routing.filter((s, i, all) => (all[i + 1]?.at ?? report.timeline.endedAt) > s.at).length;
    expect(svg.segmentFills).toHaveLength(lanes * stretches);
    // primary blue, secondary amber (listener 0), split purple (overall) all appear in this drill
    expect(new Set(svg.segmentFills)).toEqual(new Set(['#2563eb', '#f59e0b', '#a855f7']));
    expect(svg.titles[0]).toBe(`Drill ${report.scenario}: passed`);
    // one predicted-window band per step, plus hover titles for the steps' windows
    expect(svg.titles.filter((t) => t.includes(': predicted '))).toHaveLength(report.steps.length);
    expect(svg.tags.line).toBeGreaterThanOrEqual(report.steps.length);
  });

  it('escapes text that is not XML-safe', async () => {
    const odd: DrillReport = { ...report, scenario: 'a<b>&"c"', steps: report.steps.map((s) => ({ ...s, name: `${s.name} <&>` })) };
    const svg = await parseSvg(renderSvg(odd));
    expect(svg.titles[0]).toBe('Drill a<b>&"c": passed');
  });
});
