import { describe, expect, it } from 'vitest';
import { javaMajorVersion } from '../../infra/local/engines.ts';

describe('reading java -version', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_402"', 8],
    ['openjdk version "11.0.22" 2024-01-16 LTS', 11],
    ['something else entirely', undefined],
  ])('%s -> %s', (output, expected) => {
    // Act
    const major = javaMajorVersion(output);

    // Assess
    expect(major).toBe(expected);
  });
});
