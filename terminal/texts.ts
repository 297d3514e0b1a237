// What the merchant reads, in English and French: one sentence per Reason code (the terminal's
// declines and the hub's acks share the codes) and the words of the payment screens.

import { Reason } from '../protocol/reasons'

export type Language = 'en' | 'fr'
export const LANGUAGES: readonly Language[] = ['en', 'fr']

type Texts = Record<Language, string>

const REASON_TEXTS: Record<Reason, Texts> = {
  [Reason.None]: { en: 'Approved.', fr: 'Accepté.' },
  [Reason.BadFormat]: { en: 'The phone sent an unreadable answer. Ask the customer to tap again.', fr: 'Le téléphone a envoyé une réponse illisible. Demandez au client de présenter à nouveau.' },
  [Reason.BadHubSignature]: { en: 'This voucher was not issued by PayAll. Payment refused.', fr: 'Ce bon n\'a pas été émis par PayAll. Paiement refusé.' },
  [Reason.VoucherExpired]: { en: 'The customer\'s offline allowance has expired. The customer must renew it online.', fr: 'L\'allocation hors ligne du client a expiré. Le client doit la renouveler en ligne.' },
  [Reason.VoucherRevoked]: { en: 'The customer\'s offline allowance was cancelled by PayAll. Payment refused.', fr: 'L\'allocation hors ligne du client a été annulée par PayAll. Paiement refusé.' },
  [Reason.BadCustomerSignature]: { en: 'The customer\'s signature is not valid. Payment refused.', fr: 'La signature du client n\'est pas valide. Paiement refusé.' },
  [Reason.NonceMismatch]: { en: 'The phone answered an earlier request. Ask the customer to tap again.', fr: 'Le téléphone a répondu à une demande précédente. Demandez au client de présenter à nouveau.' },
  [Reason.SeqReplayed]: { en: 'This payment was already presented. Payment refused.', fr: 'Ce paiement a déjà été présenté. Paiement refusé.' },
  [Reason.OverVoucherLimit]: { en: 'The amount is more than the customer\'s offline allowance has left.', fr: 'Le montant dépasse ce qui reste de l\'allocation hors ligne du client.' },
  [Reason.CumulativeMismatch]: { en: 'The phone\'s spending total does not add up. Payment refused.', fr: 'Le total des dépenses du téléphone est incohérent. Paiement refusé.' },
  [Reason.OverFloorLimit]: { en: 'The amount is above the limit for one offline payment.', fr: 'Le montant dépasse le plafond d\'un paiement hors ligne.' },
  [Reason.UnsyncedTotalExceeded]: { en: 'Too much money waits for sync. Connect the terminal before taking more offline.', fr: 'Trop d\'argent attend la synchronisation. Connectez le terminal avant d\'encaisser davantage hors ligne.' },
  [Reason.UnsyncedCountExceeded]: { en: 'Too many payments wait for sync. Connect the terminal before taking more offline.', fr: 'Trop de paiements attendent la synchronisation. Connectez le terminal avant d\'encaisser davantage hors ligne.' },
  [Reason.UploadDeadlinePassed]: { en: 'Payments have waited too long for sync. Connect the terminal to take offline payments again.', fr: 'Des paiements attendent la synchronisation depuis trop longtemps. Connectez le terminal pour encaisser à nouveau hors ligne.' },
  [Reason.ConsecutiveOfflineExceeded]: { en: 'The customer has paid offline too many times in a row. The phone must go online once.', fr: 'Le client a payé hors ligne trop de fois de suite. Le téléphone doit se connecter une fois.' },
  [Reason.CurrencyMismatch]: { en: 'The customer\'s allowance is in another currency.', fr: 'L\'allocation du client est dans une autre devise.' },
  [Reason.WrongGateway]: { en: 'The phone answered for another terminal. Ask the customer to tap again.', fr: 'Le téléphone a répondu pour un autre terminal. Demandez au client de présenter à nouveau.' },
  [Reason.VoucherUnknown]: { en: 'PayAll does not know this voucher.', fr: 'PayAll ne connaît pas ce bon.' },
  [Reason.ChainGap]: { en: 'The hub is missing earlier payments of this terminal; they will be sent again.', fr: 'Il manque au serveur des paiements antérieurs de ce terminal ; ils seront renvoyés.' },
  [Reason.ChainFork]: { en: 'The hub holds another history for this terminal. Contact PayAll support.', fr: 'Le serveur a un autre historique pour ce terminal. Contactez le support PayAll.' },
  [Reason.BadGatewaySignature]: { en: 'The hub did not recognise this terminal\'s signature. Contact PayAll support.', fr: 'Le serveur n\'a pas reconnu la signature de ce terminal. Contactez le support PayAll.' },
  [Reason.InsufficientFunds]: { en: 'The customer does not have enough money.', fr: 'Le client n\'a pas assez d\'argent.' },
  [Reason.DoubleSpend]: { en: 'The customer spent this allowance twice. Payment refused.', fr: 'Le client a dépensé deux fois cette allocation. Paiement refusé.' },
  [Reason.GatewayUnknown]: { en: 'The hub does not know this terminal. Provision it again.', fr: 'Le serveur ne connaît pas ce terminal. Provisionnez-le à nouveau.' },
  [Reason.ClockSkew]: { en: 'The phone\'s answer carries the wrong time. Ask the customer to tap again.', fr: 'La réponse du téléphone porte une mauvaise heure. Demandez au client de présenter à nouveau.' },
  [Reason.OnlineRequired]: { en: 'This payment must be approved online, and the terminal is offline.', fr: 'Ce paiement doit être validé en ligne, et le terminal est hors ligne.' },
  [Reason.HubUnavailable]: { en: 'PayAll did not answer in time.', fr: 'PayAll n\'a pas répondu à temps.' },
  [Reason.DeviceUnbound]: { en: 'The customer\'s phone is no longer linked to an account.', fr: 'Le téléphone du client n\'est plus lié à un compte.' },
  [Reason.VoucherNotYetValid]: { en: 'The customer\'s allowance is not valid yet. Check the terminal\'s clock.', fr: 'L\'allocation du client n\'est pas encore valable. Vérifiez l\'heure du terminal.' },
  [Reason.ReplayedAuthorization]: { en: 'This payment was already recorded. Payment refused.', fr: 'Ce paiement a déjà été enregistré. Paiement refusé.' },
  [Reason.AmountMismatch]: { en: 'The phone approved another amount than the one keyed. Ask the customer to tap again.', fr: 'Le téléphone a validé un autre montant que celui saisi. Demandez au client de présenter à nouveau.' },
  [Reason.PaymentNotFound]: { en: 'PayAll has no settled payment of this terminal with that number.', fr: 'PayAll n\'a aucun paiement réglé de ce terminal avec ce numéro.' },
  [Reason.RefundExceedsPayment]: { en: 'The refund is more than what is left of the payment.', fr: 'Le remboursement dépasse ce qui reste du paiement.' },
  [Reason.RefundIdReused]: { en: 'This refund was already asked with other details. Start a new refund.', fr: 'Ce remboursement a déjà été demandé avec d\'autres détails. Recommencez un nouveau remboursement.' },
  [Reason.RefundFundsInsufficient]: { en: 'Your PayAll balance does not cover this refund.', fr: 'Votre solde PayAll ne couvre pas ce remboursement.' },
  [Reason.ChainClosed]: {
    en: 'This terminal was provisioned again with a new key: records of its old key are no longer taken.',
    fr: 'Ce terminal a été provisionné de nouveau avec une nouvelle clé : les enregistrements de l’ancienne clé ne sont plus acceptés.',
  },
  [Reason.OnlineRequestVoided]: {
    en: 'This payment was cancelled by the terminal after PayAll did not answer. Nothing was charged.',
    fr: 'Ce paiement a été annulé par le terminal faute de réponse de PayAll. Rien n’a été débité.',
  },
  [Reason.PaymentRecorded]: {
    en: 'This payment is in the terminal\'s records and cannot be cancelled: make a refund.',
    fr: 'Ce paiement figure dans les enregistrements du terminal et ne peut pas être annulé : faites un remboursement.',
  },
}

/** The merchant's sentence for a reason code. */
export function reasonText(reason: Reason, language: Language): string {
  return REASON_TEXTS[reason][language]
}

const SCREEN_TEXTS = {
  enterAmount: { en: 'Enter amount', fr: 'Saisir le montant' },
  tapPhone: { en: 'Customer: tap your phone', fr: 'Client : présentez votre téléphone' },
  checking: { en: 'Checking…', fr: 'Vérification…' },
  askingHub: { en: 'Asking PayAll online…', fr: 'Demande en ligne à PayAll…' },
  approved: { en: 'APPROVED', fr: 'ACCEPTÉ' },
  declined: { en: 'DECLINED', fr: 'REFUSÉ' },
  cancelled: { en: 'Cancelled', fr: 'Annulé' },
  online: { en: 'Online', fr: 'En ligne' },
  offline: { en: 'Offline', fr: 'Hors ligne' },
  offlineHubUnreachable: { en: 'Offline: PayAll did not answer', fr: 'Hors ligne : PayAll n\'a pas répondu' },
  offlineLinkDown: { en: 'Offline: no connection', fr: 'Hors ligne : pas de connexion' },
  transfer: { en: 'Transfer', fr: 'Transfert' },
  terminal: { en: 'Terminal', fr: 'Terminal' },
  amount: { en: 'Amount', fr: 'Montant' },
  mode: { en: 'Mode', fr: 'Mode' },
  date: { en: 'Date', fr: 'Date' },
  receipt: { en: 'RECEIPT', fr: 'REÇU' },
  dayReport: { en: 'DAY REPORT', fr: 'RAPPORT DU JOUR' },
  total: { en: 'Total', fr: 'Total' },
  payments: { en: 'payments', fr: 'paiements' },
  refund: { en: 'REFUND', fr: 'REMBOURSEMENT' },
  refunded: { en: 'REFUNDED', fr: 'REMBOURSÉ' },
  refundOf: { en: 'Refund of', fr: 'Remboursement de' },
  refunds: { en: 'refunds', fr: 'remboursements' },
  net: { en: 'Net', fr: 'Net' },
  refundOnlineOnly: { en: 'Refunds are made online only, and the terminal is offline.', fr: 'Les remboursements se font en ligne uniquement, et le terminal est hors ligne.' },
  refundUnconfirmed: { en: 'No answer from PayAll: the refund is not confirmed. Try again; it will not be made twice.', fr: 'Pas de réponse de PayAll : le remboursement n\'est pas confirmé. Réessayez ; il ne sera pas fait deux fois.' },
  menu: { en: 'MENU', fr: 'MENU' },
  menuRefund: { en: '1: refund a payment', fr: '1 : rembourser un paiement' },
  menuReport: { en: '2: day report', fr: '2 : rapport du jour' },
  menuMode: { en: '3: next payment\'s mode', fr: '3 : mode du prochain paiement' },
  menuBack: { en: 'Cancel: back', fr: 'Annuler : retour' },
  modeTitle: { en: 'NEXT PAYMENT', fr: 'PROCHAIN PAIEMENT' },
  modePreferOnline: { en: '1: online if possible', fr: '1 : en ligne si possible' },
  modeRequireOnline: { en: '2: online only', fr: '2 : en ligne seulement' },
  modeForceOffline: { en: '3: offline', fr: '3 : hors ligne' },
  nextPreferOnline: { en: 'Online if possible', fr: 'En ligne si possible' },
  nextRequireOnline: { en: 'Online only', fr: 'En ligne seulement' },
  nextForceOffline: { en: 'Offline', fr: 'Hors ligne' },
  refundWhich: { en: 'Refund payment number', fr: 'Rembourser le paiement numéro' },
  refundHowMuch: { en: 'Amount to refund (Enter: all)', fr: 'Montant à rembourser (Entrée : tout)' },
  pressAnyKey: { en: 'Press a key', fr: 'Appuyez sur une touche' },
  error: { en: 'ERROR', fr: 'ERREUR' },
  receiptNotPrinted: { en: 'Receipt not printed: check the printer.', fr: 'Reçu non imprimé : vérifiez l\'imprimante.' },
  storageFull: {
    en: 'Storage full: payment not taken, nothing charged. Call support.',
    fr: 'Mémoire pleine : paiement non pris, rien débité. Appelez le support.',
  },
  phoneFailed: { en: 'No answer from the phone. Ask the customer to tap again.', fr: 'Pas de réponse du téléphone. Demandez au client de présenter à nouveau.' },
} as const satisfies Record<string, Texts>

export type ScreenText = keyof typeof SCREEN_TEXTS

export function screenText(key: ScreenText, language: Language): string {
  return SCREEN_TEXTS[key][language]
}
