// Les textes français des pages du client : portefeuilles, paiements, appareils et bons, envoi d'argent, KYC, profil.

import type { CustomerMessages } from '../en/customer'

export const customer: CustomerMessages = {
  paymentStatus: { completed: 'Effectué', awaiting_confirmation: 'En attente de confirmation', cancelled: 'Annulé', expired: 'Expiré' },
  wallets: {
    title: 'Mes portefeuilles',
    balance: 'Solde',
    available: 'Disponible',
    held: 'Bloqué pour les bons',
    recent: 'Paiements récents',
    recentLive: 'Les nouveaux paiements s’affichent ici dès leur règlement.',
    counterparty: 'Avec',
    direction: 'Sens',
    sent: 'Envoyé',
    received: 'Reçu',
    noWallets: 'Vous n’avez pas encore de portefeuille.',
  },
}
