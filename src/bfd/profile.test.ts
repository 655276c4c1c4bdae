// BFDProfile -> session settings: units, ports, passive mode, and the warnings for what is not applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfdSettingsFor } from './profile.js';
import type { BfdProfileConfig } from '../config/types.js';

const profile: BfdProfileConfig = {
  name: 'fast', receiveInterval: 300, transmitInterval: 200, detectMultiplier: 3, echoInterval: 50, echoMode: false, passiveMode: true, minimumTtl: 254,
};

test('single hop: milliseconds become microseconds, port 3784, passive kept, no warnings', () => {
  const r = bfdSettingsFor(profile, false);
  assert.deepEqual(r.settings, {
    intervals: { desiredMinTxUs: 200_000, requiredMinRxUs: 300_000, detectMult: 3 }, passive: true, port: 3784, multihop: false,
  });
  assert.deepEqual(r.warnings, []);
});

test('multihop uses port 4784 and warns that minimumTtl is not checked; echo mode warns', () => {
  const r = bfdSettingsFor({ ...profile, echoMode: true }, true);
  assert.equal(r.settings.port, 4784);
  assert.deepEqual(r.warnings.map((w) => w.rule), ['bfdEchoNotSupported', 'bfdMinimumTtlNotChecked']);
});
