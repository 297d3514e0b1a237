// The device a customer names by IMEI, if it is bound to them: what every route acting on "my device" checks first.

import { HttpError } from '../http/errors'
import type { Device, DeviceStore } from './device-store'

/** The device bound under `imei`, if it is `userId`'s; else 404 DEVICE_NOT_BOUND. */
export async function ownDevice(devices: Pick<DeviceStore, 'boundByImei'>, userId: string, imei: string): Promise<Device> {
  const device = await devices.boundByImei(imei)
  // Another user's device is answered as if it did not exist: IMEIs are not secrets, but whose phone is whose is.
  if (device === undefined || device.userId !== userId) {
    throw new HttpError(404, 'DEVICE_NOT_BOUND', `no device with IMEI ${imei} is bound to you`)
  }
  return device
}
