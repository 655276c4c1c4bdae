/**
 * Renders router plans as a vendor's configuration text. One section per router; when there is more
 * than one router, each section starts with a comment naming it (in the vendor's comment syntax) and
 * sections are separated by a blank line. Pure.
 */
import type { RenderOptions } from './render-options.js';
import type { RouterPlan } from './routers.js';
import { renderBird } from './vendors/bird.js';
import { renderEos } from './vendors/eos.js';
import { renderFrr } from './vendors/frr.js';
import { renderJunos } from './vendors/junos.js';
import { renderNxos } from './vendors/nxos.js';
import { renderOnyx } from './vendors/onyx.js';

/** The vendors `router-config` writes for. */
export const VENDORS = ['onyx', 'frr', 'eos', 'nxos', 'junos', 'bird'] as const;
export type Vendor = (typeof VENDORS)[number];

export function isVendor(text: string): text is Vendor {
  return (VENDORS as readonly string[]).includes(text);
}

const COMMENT: Record<Vendor, string> = { onyx: '#', frr: '!', eos: '!', nxos: '!', junos: '#', bird: '#' };

/** The configuration lines of one router for `vendor`. */
export function renderRouter(vendor: Vendor, router: RouterPlan, options: RenderOptions = {}): string[] {
  switch (vendor) {
    case 'onyx':
      return renderOnyx(router, options);
    case 'frr':
      return renderFrr(router, options);
    case 'eos':
      return renderEos(router, options);
    case 'nxos':
      return renderNxos(router, options);
    case 'junos':
      return renderJunos(router, options);
    case 'bird':
      return renderBird(router, options);
  }
}

/** The configuration text (newline-terminated) for every router, for `vendor`. */
export function renderRouterConfig(vendor: Vendor, routers: readonly RouterPlan[], options: RenderOptions = {}): string {
  const sections = routers.map((r) => {
    const lines = renderRouter(vendor, r, options);
    if (routers.length > 1) {
      const nodes = r.neighbors.length === 1 ? '1 node' : `${r.neighbors.length} nodes`;
      lines.unshift(`${COMMENT[vendor]} router ${r.address} (AS ${r.asn}): ${nodes}`);
    }
    return `${lines.join('\n')}\n`;
  });
  return sections.join('\n');
}
