/**
 * The drill report: its shape (./report-model.ts; report.json is a contract), the measurements taken
 * from its timelines (./timeline.ts), and the files a drill leaves: report.json, report.md
 * (./report-markdown.ts), timeline.svg (./report-svg.ts) and report.html: the dashboard's page, static, with
 * every sample of the drill (./dashboard-page.ts).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import type { DrillReport } from './report-model.js';
import { renderMarkdown } from './report-markdown.js';
import { renderSvg } from './report-svg.js';
import { reportDashboardData } from './dashboard-model.js';
import { dashboardHtml } from './dashboard-page.js';

export type { AckBucket, ConnectionSample, DrillReport, PredictedWindow, RoutingSample, StepResult } from './report-model.js';
export { acksOnInactiveCluster, firstRoutingChange, firstTimeIn, firstTimeWhen, inactiveAcks, timeIn } from './timeline.js';
export { renderMarkdown, renderSvg };

/** Writes report.json, report.md, timeline.svg and report.html into `dir`; returns their paths. */
export function writeReportFiles(dir: string, report: DrillReport): { json: string; md: string; svg: string; html: string } {
  const files = { json: join(dir, 'report.json'), md: join(dir, 'report.md'), svg: join(dir, 'timeline.svg'), html: join(dir, 'report.html') };
  writeFileAtomic(files.json, JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(files.md, renderMarkdown(report, 'timeline.svg'));
  writeFileAtomic(files.svg, renderSvg(report));
  writeFileAtomic(files.html, dashboardHtml(reportDashboardData(report)));
  return files;
}
