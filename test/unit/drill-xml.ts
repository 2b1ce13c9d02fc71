/**
 * Parses an SVG with a real XML parser (Python's xml.etree, already required to install Envoy) and
 * returns a summary the drill tests assert on. Throws with the parser's message when it is not XML.
 */
import { execa } from 'execa';

export interface SvgSummary {
  root: string;
  /** Element count per local tag name. */
  tags: Record<string, number>;
  /** Text of every <title>. */
  titles: string[];
  /** fill of every rect with class="segment" (the routing lanes). */
  segmentFills: string[];
}

const SCRIPT = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
local = lambda t: t.split('}')[-1]
tags = {}
for el in root.iter():
    tags[local(el.tag)] = tags.get(local(el.tag), 0) + 1
print(json.dumps({
  'root': local(root.tag),
  'tags': tags,
  'titles': [el.text or '' for el in root.iter() if local(el.tag) == 'title'],
  'segmentFills': [el.get('fill') for el in root.iter() if local(el.tag) == 'rect' and el.get('class') == 'segment'],
}))
`;

export async function parseSvg(svg: string): Promise<SvgSummary> {
  const r = await execa('python3', ['-c', SCRIPT], { input: svg, reject: false });
  if (r.exitCode !== 0) throw new Error(`not well-formed XML: ${String(r.stderr).trim().split('\n').at(-1)}`);
  return JSON.parse(String(r.stdout)) as SvgSummary;
}
