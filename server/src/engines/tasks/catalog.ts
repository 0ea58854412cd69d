// The remaining-work catalog: catalog.json as typed data, with shared steps resolved. Owns lookups
// only; reading states lives in itemState.ts and running steps in the session that calls it.
import catalogData from './catalog.json';
import type { Catalog, CatalogItem, Step } from './catalogTypes';

/** catalog.json as written: items may name a shared step instead of spelling it out. */
interface CatalogFile {
  version: number;
  sharedSteps: Record<string, Step>;
  items: (Omit<CatalogItem, 'steps'> & { steps: (Step | { shared: string })[] })[];
}

/**
 * Resolves `{ "shared": "configure" }` steps against sharedSteps. Example: an item listing
 * `[{ "shared": "reconcile" }]` gets the reconcile pipeline step with id "reconcile".
 */
export function resolveCatalog(file: CatalogFile): Catalog {
  const items = file.items.map((item): CatalogItem => ({
    ...item,
    steps: item.steps.map((step) => {
      if (!('shared' in step)) return step;
      const shared = file.sharedSteps[step.shared];
      if (!shared) throw new Error(`catalog item ${item.id}: unknown shared step ${step.shared}`);
      return shared;
    }),
  }));
  return { version: file.version, items };
}

/** The catalog shipped with the extension. */
export const CATALOG: Catalog = resolveCatalog(catalogData as unknown as CatalogFile);

/** The raw file, for the schema test. */
export const CATALOG_FILE: unknown = catalogData;

export function findItem(catalog: Catalog, itemId: string): CatalogItem | undefined {
  return catalog.items.find((item) => item.id === itemId);
}

export function findStep(catalog: Catalog, itemId: string, stepId: string): { item: CatalogItem; step: Step } | undefined {
  const item = findItem(catalog, itemId);
  const step = item?.steps.find((candidate) => candidate.id === stepId);
  return item && step ? { item, step } : undefined;
}

/** Items in dependency order (an item after the items it depends on); the catalog test rejects cycles. */
export function itemsInDependencyOrder(catalog: Catalog): CatalogItem[] {
  const ordered: CatalogItem[] = [];
  const visiting = new Set<string>();
  const visit = (item: CatalogItem): void => {
    if (ordered.includes(item) || visiting.has(item.id)) return;
    visiting.add(item.id);
    for (const dependency of item.dependencies) {
      const before = dependency.item ? findItem(catalog, dependency.item) : undefined;
      if (before) visit(before);
    }
    visiting.delete(item.id);
    ordered.push(item);
  };
  catalog.items.forEach(visit);
  return ordered;
}
