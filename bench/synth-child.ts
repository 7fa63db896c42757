/** Child of bench/synth.ts: one full synth (as `npm run synth` does), then reports its peak RSS. */
import { App } from 'cdktf';
import { loadInventory } from '../config/load';
import { buildApp } from '../main';

buildApp(new App({ stackTraces: false }), loadInventory(process.env['VIGIL_INVENTORY']!)).synth();
console.log(`peakRssKiB=${process.resourceUsage().maxRSS}`);
