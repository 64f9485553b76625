import type { OperatorFactory } from './types';
import { phraseOperator } from './pm';

/** @pmFromFile / @pmf: one phrase per line of the named files, `#` comments skipped. */
export const pmFromFile: OperatorFactory = (argument, load) => {
  const phrases: string[] = [];
  for (const path of argument.split(/\s+/).filter(Boolean)) {
    for (const line of load.readDataFile(path).split(/\r?\n/)) {
      const phrase = line.trim();
      if (phrase && !phrase.startsWith('#')) phrases.push(phrase);
    }
  }
  return phraseOperator(phrases);
};
