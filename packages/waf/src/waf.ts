import { dirname } from 'node:path';
import { SecLangParser } from './seclang/parser';
import type { RuleSet } from './engine/ruleset';
import { Transaction, type TransactionOptions } from './engine/transaction';

export interface WafLoadOptions {
  /** Directory that relative Include and data-file paths resolve against (default: cwd). */
  baseDir?: string;
  /** Receives warnings such as ignored unknown directives. */
  onWarning?: (message: string) => void;
}

/**
 * A compiled set of SecLang rules. Rules are parsed and compiled once; each HTTP exchange
 * gets its own Transaction holding all per-request state.
 */
export class Waf {
  private constructor(private readonly rules: RuleSet) {}

  /** Compiles directives given as text (several texts are read in order, as one configuration). */
  static fromDirectives(text: string | string[], options: WafLoadOptions = {}): Waf {
    const parser = new SecLangParser(options);
    for (const t of Array.isArray(text) ? text : [text]) parser.parseText(t);
    return new Waf(parser.build());
  }

  /** Compiles configuration files, in order; relative paths inside resolve against each file. */
  static fromFiles(paths: string[], options: WafLoadOptions = {}): Waf {
    const parser = new SecLangParser({ baseDir: options.baseDir ?? (paths[0] ? dirname(paths[0]) : undefined), ...options });
    for (const p of paths) parser.parseFile(p);
    return new Waf(parser.build());
  }

  newTransaction(options: TransactionOptions = {}): Transaction {
    return new Transaction(this.rules, options);
  }

  /** Number of top-level rules (chains count once, markers not at all). */
  get ruleCount(): number {
    return this.rules.byId.size;
  }
}
