/** The soak's own checker catches the defects it is meant to catch (planted in a made-up history). */
import { expect, it } from 'vitest';
import { selfCheck } from '../../bench/soak/checks/self-check.js';

it('the soak checker passes a clean history and catches every planted defect', () => {
  expect(selfCheck()).toEqual([]);
});
