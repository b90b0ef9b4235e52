/**
 * The house rule of docs/architecture.md: no production function (declaration, method,
 * constructor, arrow or function expression) spans more than 80 lines, except the ones listed
 * here with their reason. Lengths are read from the TypeScript syntax tree of every file under
 * lambdas/, lib/, cli/ and bin/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '../..');
const MAX_LINES = 80;

/** Functions allowed over the limit, `file:name`, with why. */
const EXCEPTIONS: Record<string, string> = {
  // A declarative table: commander's option declarations, one chained call per option.
  'cli/commands/program.ts:buildProgram': 'declarative table of commands and options',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function nameOf(node: ts.Node): string {
  if (ts.isConstructorDeclaration(node)) {
    const owner = node.parent;
    return `constructor of ${ts.isClassDeclaration(owner) && owner.name !== undefined ? owner.name.text : '?'}`;
  }
  const named = node as { name?: ts.Node };
  if (named.name !== undefined) return named.name.getText();
  const parent = node.parent as { name?: ts.Node } | undefined;
  return parent?.name?.getText() ?? '(anonymous)';
}

/** `file:name (lines)` of every function over the limit in `file`. */
function longFunctions(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const isFunction =
      ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node);
    if (isFunction && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const lines = last - first + 1;
      if (lines > MAX_LINES) found.push(`${relative(ROOT, file)}:${nameOf(node)} (${lines})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('production functions', () => {
  const long = ['lambdas', 'lib', 'cli', 'bin'].flatMap((d) => sourceFiles(join(ROOT, d))).flatMap(longFunctions);

  it(`are at most ${MAX_LINES} lines, except the listed ones`, () => {
    const unlisted = long.filter((f) => !(f.replace(/ \(\d+\)$/, '') in EXCEPTIONS));
    expect(unlisted).toEqual([]);
  });

  it('list no exception that no longer applies', () => {
    const present = new Set(long.map((f) => f.replace(/ \(\d+\)$/, '')));
    expect(Object.keys(EXCEPTIONS).filter((k) => !present.has(k))).toEqual([]);
  });
});
