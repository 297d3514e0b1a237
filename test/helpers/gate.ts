// Holds calls to one method of an object until the test lets them through: how a test fills a
// bounded queue behind a slow dependency without timing anything.

/** Every call to `target[method]` waits for release(); entered() resolves once one is waiting. */
export function holdCalls<Target extends object, Method extends keyof Target>(
  target: Target, method: Method,
): { entered(): Promise<void>; release(): void } {
  const original = (target[method] as (...args: unknown[]) => unknown).bind(target)
  let release!: () => void
  const released = new Promise<void>(resolve => {
    release = resolve
  })
  let enter!: () => void
  const entered = new Promise<void>(resolve => {
    enter = resolve
  })
  target[method] = (async (...args: unknown[]) => {
    enter()
    await released
    return original(...args)
  }) as Target[Method]
  return { entered: () => entered, release }
}
