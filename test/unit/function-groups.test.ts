import { describe, expect, it } from 'vitest';
import { functionGroup, groupOfPrefix } from '../../functions/manifest.ts';

describe('functionGroup', () => {
  it('takes the first word of the name in the singular, so a domain’s routes and workers share a group', () => {
    // Act and assess
    expect(functionGroup('segmentsCreate', {})).toBe('segment');
    expect(functionGroup('segmentWorker', {})).toBe('segment');
    expect(functionGroup('campaigns', {})).toBe('campaign');
    expect(functionGroup('accessWorker', {})).toBe('access');
    expect(functionGroup('authorizer', {})).toBe('authorizer');
  });

  it('folds prefixes of a wider domain into its group', () => {
    // Act and assess
    expect(functionGroup('mergesGet', {})).toBe(groupOfPrefix.merge);
    expect(functionGroup('exportWorker', {})).toBe(functionGroup('importsCreate', {}));
  });

  it('lets the manifest entry say its group', () => {
    // Act and assess
    expect(functionGroup('segmentsCreate', { group: 'audience' })).toBe('audience');
  });
});
