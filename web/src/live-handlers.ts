// Who listens for which live event type: a handler is held under the types it names, so an event of another
// type never reaches it (a page is not loaded again for events that do not concern it).

type Handler = (type: string, data: unknown) => void

export class LiveHandlers {
  private readonly byType = new Map<string, Set<Handler>>()

  /** Holds `handler` under each of `types` until the returned function is called. */
  add(types: readonly string[], handler: Handler): () => void {
    const sets = [...new Set(types)].map((type) => {
      let set = this.byType.get(type)
      if (set === undefined) this.byType.set(type, (set = new Set()))
      set.add(handler)
      return set
    })
    return () => {
      for (const set of sets) set.delete(handler)
    }
  }

  /** Calls, once each, the handlers held under `type`. */
  deliver(type: string, data: unknown): void {
    for (const handler of this.byType.get(type) ?? []) handler(type, data)
  }

  /** How many handlers are held under `type`: what one event of it costs. */
  count(type: string): number {
    return this.byType.get(type)?.size ?? 0
  }
}
