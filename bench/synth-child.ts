/** Child of bench/synth.ts: one full synth (as `npm run synth` does), then reports its peak RSS. */
import { App } from '../framework/cdktf';
import { loadConfig } from '../config/load';
import { buildApp } from '../main';

buildApp(new App({ stackTraces: false }), loadConfig()).synth();
console.log(`peakRssKiB=${process.resourceUsage().maxRSS}`);
