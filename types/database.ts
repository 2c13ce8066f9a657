
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            "clawback_offsets": {
                  Row: {
                    "amount": number,"clawback_id": string,"created_at": string,"currency": string,"id": string,"payout_id": string,"placement_id": string,"recruiter_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount": number,"clawback_id": string,"created_at"?: string,"currency": string,"id"?: string,"payout_id": string,"placement_id": string,"recruiter_id": string,"updated_at"?: string
                  }
                  Update: {
                    "amount"?: number,"clawback_id"?: string,"created_at"?: string,"currency"?: string,"id"?: string,"payout_id"?: string,"placement_id"?: string,"recruiter_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "clawback_offsets_clawback_id_fkey"
      columns: ["clawback_id"]
isOneToOne: false
      referencedRelation: "recruiter_clawbacks"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "clawback_offsets_payout_id_fkey"
      columns: ["payout_id"]
isOneToOne: false
      referencedRelation: "payouts"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "clawback_offsets_placement_id_fkey"
      columns: ["placement_id"]
isOneToOne: false
      referencedRelation: "placements"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "clawback_offsets_recruiter_id_fkey"
      columns: ["recruiter_id"]
isOneToOne: false
      referencedRelation: "recruiters"
      referencedColumns: ["id"]
    }
                  ]
                },"companies": {
                  Row: {
                    "billing_email": string | null,"created_at": string,"id": string,"name": string,"stripe_customer_id": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "billing_email"?: string | null,"created_at"?: string,"id"?: string,"name": string,"stripe_customer_id"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "billing_email"?: string | null,"created_at"?: string,"id"?: string,"name"?: string,"stripe_customer_id"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"company_invoices": {
                  Row: {
                    "amount_due": number,"attempts": number,"claimed_by": string | null,"company_id": string,"created_at": string,"currency": string,"description": string,"due_at": string | null,"failed_at": string | null,"failure_code": string | null,"failure_reason": string | null,"finalized_at": string | null,"hosted_invoice_url": string | null,"id": string,"idempotency_key": string,"invoice_id": string,"issue": number,"last_error": Json | null,"marked_uncollectible_at": string | null,"next_attempt_at": string,"number": string | null,"paid_at": string | null,"placement_id": string,"requested_at": string,"requested_by": string | null,"sent_at": string | null,"status": string,"stripe_customer_id": string | null,"stripe_invoice_id": string | null,"stripe_invoice_item_id": string | null,"updated_at": string,"void_reason": string | null,"void_requested_at": string | null,"voided_at": string | null,"work_due": boolean
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_due": number,"attempts"?: number,"claimed_by"?: string | null,"company_id": string,"created_at"?: string,"currency": string,"description": string,"due_at"?: string | null,"failed_at"?: string | null,"failure_code"?: string | null,"failure_reason"?: string | null,"finalized_at"?: string | null,"hosted_invoice_url"?: string | null,"id"?: string,"idempotency_key": string,"invoice_id": string,"issue": number,"last_error"?: Json | null,"marked_uncollectible_at"?: string | null,"next_attempt_at": string,"number"?: string | null,"paid_at"?: string | null,"placement_id": string,"requested_at": string,"requested_by"?: string | null,"sent_at"?: string | null,"status": string,"stripe_customer_id"?: string | null,"stripe_invoice_id"?: string | null,"stripe_invoice_item_id"?: string | null,"updated_at"?: string,"void_reason"?: string | null,"void_requested_at"?: string | null,"voided_at"?: string | null,"work_due"?: never
                  }
                  Update: {
                    "amount_due"?: number,"attempts"?: number,"claimed_by"?: string | null,"company_id"?: string,"created_at"?: string,"currency"?: string,"description"?: string,"due_at"?: string | null,"failed_at"?: string | null,"failure_code"?: string | null,"failure_reason"?: string | null,"finalized_at"?: string | null,"hosted_invoice_url"?: string | null,"id"?: string,"idempotency_key"?: string,"invoice_id"?: string,"issue"?: number,"last_error"?: Json | null,"marked_uncollectible_at"?: string | null,"next_attempt_at"?: string,"number"?: string | null,"paid_at"?: string | null,"placement_id"?: string,"requested_at"?: string,"requested_by"?: string | null,"sent_at"?: string | null,"status"?: string,"stripe_customer_id"?: string | null,"stripe_invoice_id"?: string | null,"stripe_invoice_item_id"?: string | null,"updated_at"?: string,"void_reason"?: string | null,"void_requested_at"?: string | null,"voided_at"?: string | null,"work_due"?: never
                  }
                  Relationships: [
                    {
      foreignKeyName: "company_invoices_company_id_fkey"
      columns: ["company_id"]
isOneToOne: false
      referencedRelation: "companies"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "company_invoices_invoice_id_fkey"
      columns: ["invoice_id"]
isOneToOne: false
      referencedRelation: "placement_invoices"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "company_invoices_placement_id_fkey"
      columns: ["placement_id"]
isOneToOne: false
      referencedRelation: "placements"
      referencedColumns: ["id"]
    }
                  ]
                },"company_members": {
                  Row: {
                    "company_id": string,"created_at": string,"id": string,"role": string,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "company_id": string,"created_at"?: string,"id"?: string,"role": string,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "company_id"?: string,"created_at"?: string,"id"?: string,"role"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "company_members_company_id_fkey"
      columns: ["company_id"]
isOneToOne: false
      referencedRelation: "companies"
      referencedColumns: ["id"]
    }
                  ]
                },"escrow_holds": {
                  Row: {
                    "cancellation_reason": string | null,"cancelled_at": string | null,"cancelled_by": string | null,"created_at": string,"currency": string,"held_at": string,"hold_amount": number,"hold_reason": string,"id": string,"payout_id": string,"placement_id": string,"recruiter_id": string,"release_scheduled_date": string | null,"released_at": string | null,"released_by": string | null,"status": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "cancellation_reason"?: string | null,"cancelled_at"?: string | null,"cancelled_by"?: string | null,"created_at"?: string,"currency": string,"held_at": string,"hold_amount": number,"hold_reason": string,"id"?: string,"payout_id": string,"placement_id": string,"recruiter_id": string,"release_scheduled_date"?: string | null,"released_at"?: string | null,"released_by"?: string | null,"status": string,"updated_at"?: string
                  }
                  Update: {
                    "cancellation_reason"?: string | null,"cancelled_at"?: string | null,"cancelled_by"?: string | null,"created_at"?: string,"currency"?: string,"held_at"?: string,"hold_amount"?: number,"hold_reason"?: string,"id"?: string,"payout_id"?: string,"placement_id"?: string,"recruiter_id"?: string,"release_scheduled_date"?: string | null,"released_at"?: string | null,"released_by"?: string | null,"status"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "escrow_holds_payout_id_placement_id_currency_fkey"
      columns: ["payout_id","placement_id","currency"]
isOneToOne: false
      referencedRelation: "payouts"
      referencedColumns: ["id","placement_id","currency"]
    }
                  ]
                },"payout_audit_log": {
                  Row: {
                    "action": string,"changed_by": string | null,"changed_by_role": string,"created_at": string,"entity_id": string,"entity_seq": number,"entity_type": string,"id": number,"new_values": Json | null,"old_values": Json | null,"operation": string,"payout_id": string | null,"placement_id": string | null,"prev_hash": string | null,"reason": string | null,"recruiter_id": string | null,"row_hash": string,"txid": unknown
                  }
                  ComputedFields: never
                  Insert: {
                    "action": string,"changed_by"?: string | null,"changed_by_role": string,"created_at"?: string,"entity_id": string,"entity_seq": number,"entity_type": string,"id"?: never,"new_values"?: Json | null,"old_values"?: Json | null,"operation": string,"payout_id"?: string | null,"placement_id"?: string | null,"prev_hash"?: string | null,"reason"?: string | null,"recruiter_id"?: string | null,"row_hash": string,"txid"?: unknown
                  }
                  Update: {
                    "action"?: string,"changed_by"?: string | null,"changed_by_role"?: string,"created_at"?: string,"entity_id"?: string,"entity_seq"?: number,"entity_type"?: string,"id"?: never,"new_values"?: Json | null,"old_values"?: Json | null,"operation"?: string,"payout_id"?: string | null,"placement_id"?: string | null,"prev_hash"?: string | null,"reason"?: string | null,"recruiter_id"?: string | null,"row_hash"?: string,"txid"?: unknown
                  }
                  Relationships: [
                    
                  ]
                },"payout_events": {
                  Row: {
                    "actor_id": string | null,"actor_role": string,"created_at": string,"entity_id": string,"entity_type": string,"event_type": string,"id": number,"payload": NonNullable<Json>,"payout_id": string | null,"placement_id": string | null,"recruiter_id": string | null,"txid": unknown
                  }
                  ComputedFields: never
                  Insert: {
                    "actor_id"?: string | null,"actor_role": string,"created_at"?: string,"entity_id": string,"entity_type": string,"event_type": string,"id"?: never,"payload"?: NonNullable<Json>,"payout_id"?: string | null,"placement_id"?: string | null,"recruiter_id"?: string | null,"txid"?: unknown
                  }
                  Update: {
                    "actor_id"?: string | null,"actor_role"?: string,"created_at"?: string,"entity_id"?: string,"entity_type"?: string,"event_type"?: string,"id"?: never,"payload"?: NonNullable<Json>,"payout_id"?: string | null,"placement_id"?: string | null,"recruiter_id"?: string | null,"txid"?: unknown
                  }
                  Relationships: [
                    
                  ]
                },"payout_reversals": {
                  Row: {
                    "amount": number,"attempts": number,"claimed_by": string | null,"completed_at": string | null,"created_at": string,"currency": string,"destination_account_id": string,"failure_code": string | null,"failure_reason": string | null,"id": string,"idempotency_key": string,"last_error": Json | null,"lease_expires_at": string | null,"partial_amount": number | null,"partial_idempotency_key": string | null,"payout_id": string,"placement_id": string,"reason": string,"recruiter_id": string,"requested_at": string,"requested_by": string | null,"reversed_amount": number,"shortfall_amount": number,"status": string,"stripe_reversal_ids": (string)[],"stripe_transfer_id": string,"transfer_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount": number,"attempts"?: number,"claimed_by"?: string | null,"completed_at"?: string | null,"created_at"?: string,"currency": string,"destination_account_id": string,"failure_code"?: string | null,"failure_reason"?: string | null,"id"?: string,"idempotency_key": string,"last_error"?: Json | null,"lease_expires_at"?: string | null,"partial_amount"?: number | null,"partial_idempotency_key"?: string | null,"payout_id": string,"placement_id": string,"reason": string,"recruiter_id": string,"requested_at": string,"requested_by"?: string | null,"reversed_amount"?: number,"shortfall_amount"?: number,"status": string,"stripe_reversal_ids"?: (string)[],"stripe_transfer_id": string,"transfer_id": string,"updated_at"?: string
                  }
                  Update: {
                    "amount"?: number,"attempts"?: number,"claimed_by"?: string | null,"completed_at"?: string | null,"created_at"?: string,"currency"?: string,"destination_account_id"?: string,"failure_code"?: string | null,"failure_reason"?: string | null,"id"?: string,"idempotency_key"?: string,"last_error"?: Json | null,"lease_expires_at"?: string | null,"partial_amount"?: number | null,"partial_idempotency_key"?: string | null,"payout_id"?: string,"placement_id"?: string,"reason"?: string,"recruiter_id"?: string,"requested_at"?: string,"requested_by"?: string | null,"reversed_amount"?: number,"shortfall_amount"?: number,"status"?: string,"stripe_reversal_ids"?: (string)[],"stripe_transfer_id"?: string,"transfer_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "payout_reversals_payout_id_fkey"
      columns: ["payout_id"]
isOneToOne: false
      referencedRelation: "payouts"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "payout_reversals_placement_id_fkey"
      columns: ["placement_id"]
isOneToOne: false
      referencedRelation: "placements"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "payout_reversals_recruiter_id_fkey"
      columns: ["recruiter_id"]
isOneToOne: false
      referencedRelation: "recruiters"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "payout_reversals_transfer_id_fkey"
      columns: ["transfer_id"]
isOneToOne: false
      referencedRelation: "payout_transfers"
      referencedColumns: ["id"]
    }
                  ]
                },"payout_schedules": {
                  Row: {
                    "cancel_reason": string | null,"cancelled_at": string | null,"claimed_at": string | null,"claimed_by_invocation": string | null,"claimed_by_run": string | null,"created_at": string,"failure_reason": string | null,"guarantee_completion_date": string | null,"id": string,"is_exhausted": boolean,"last_retry_at": string | null,"lease_expires_at": string | null,"max_attempts": number,"next_attempt_at": string | null,"payout_id": string,"placement_id": string,"processed_at": string | null,"recruiter_id": string,"retry_count": number,"scheduled_date": string,"skip_reason": string | null,"skipped_at": string | null,"status": string,"trigger_event": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "cancel_reason"?: string | null,"cancelled_at"?: string | null,"claimed_at"?: string | null,"claimed_by_invocation"?: string | null,"claimed_by_run"?: string | null,"created_at"?: string,"failure_reason"?: string | null,"guarantee_completion_date"?: string | null,"id"?: string,"is_exhausted"?: never,"last_retry_at"?: string | null,"lease_expires_at"?: string | null,"max_attempts": number,"next_attempt_at"?: string | null,"payout_id": string,"placement_id": string,"processed_at"?: string | null,"recruiter_id": string,"retry_count"?: number,"scheduled_date": string,"skip_reason"?: string | null,"skipped_at"?: string | null,"status": string,"trigger_event": string,"updated_at"?: string
                  }
                  Update: {
                    "cancel_reason"?: string | null,"cancelled_at"?: string | null,"claimed_at"?: string | null,"claimed_by_invocation"?: string | null,"claimed_by_run"?: string | null,"created_at"?: string,"failure_reason"?: string | null,"guarantee_completion_date"?: string | null,"id"?: string,"is_exhausted"?: never,"last_retry_at"?: string | null,"lease_expires_at"?: string | null,"max_attempts"?: number,"next_attempt_at"?: string | null,"payout_id"?: string,"placement_id"?: string,"processed_at"?: string | null,"recruiter_id"?: string,"retry_count"?: number,"scheduled_date"?: string,"skip_reason"?: string | null,"skipped_at"?: string | null,"status"?: string,"trigger_event"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "payout_schedules_payout_id_placement_id_fkey"
      columns: ["payout_id","placement_id"]
isOneToOne: false
      referencedRelation: "payouts"
      referencedColumns: ["id","placement_id"]
    }
                  ]
                },"payout_transfers": {
                  Row: {
                    "amount": number,"attempt_number": number,"claimed_by_run": string,"created_at": string,"currency": string,"destination_account_id": string,"failed_at": string | null,"failure_reason": string | null,"id": string,"idempotency_key": string,"payout_id": string,"placement_id": string,"recruiter_id": string,"reversed_amount": number,"schedule_id": string,"status": string,"stripe_transfer_id": string | null,"succeeded_at": string | null,"unknown_at": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount": number,"attempt_number": number,"claimed_by_run": string,"created_at"?: string,"currency": string,"destination_account_id": string,"failed_at"?: string | null,"failure_reason"?: string | null,"id"?: string,"idempotency_key": string,"payout_id": string,"placement_id": string,"recruiter_id": string,"reversed_amount"?: number,"schedule_id": string,"status": string,"stripe_transfer_id"?: string | null,"succeeded_at"?: string | null,"unknown_at"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "amount"?: number,"attempt_number"?: number,"claimed_by_run"?: string,"created_at"?: string,"currency"?: string,"destination_account_id"?: string,"failed_at"?: string | null,"failure_reason"?: string | null,"id"?: string,"idempotency_key"?: string,"payout_id"?: string,"placement_id"?: string,"recruiter_id"?: string,"reversed_amount"?: number,"schedule_id"?: string,"status"?: string,"stripe_transfer_id"?: string | null,"succeeded_at"?: string | null,"unknown_at"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "payout_transfers_payout_id_placement_id_currency_fkey"
      columns: ["payout_id","placement_id","currency"]
isOneToOne: false
      referencedRelation: "payouts"
      referencedColumns: ["id","placement_id","currency"]
    },{
      foreignKeyName: "payout_transfers_schedule_id_payout_id_fkey"
      columns: ["schedule_id","payout_id"]
isOneToOne: false
      referencedRelation: "payout_schedules"
      referencedColumns: ["id","payout_id"]
    }
                  ]
                },"payouts": {
                  Row: {
                    "amount": number,"connect_required_notified_at": string | null,"created_at": string,"currency": string,"flagged_for_reversal_at": string | null,"forfeited_amount": number,"held_amount": number,"id": string,"in_flight_amount": number,"paid_amount": number,"payable_amount": number,"placement_id": string,"recruiter_id": string,"reversed_amount": number,"split_id": string,"status": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount": number,"connect_required_notified_at"?: string | null,"created_at"?: string,"currency": string,"flagged_for_reversal_at"?: string | null,"forfeited_amount"?: number,"held_amount"?: number,"id"?: string,"in_flight_amount"?: number,"paid_amount"?: number,"payable_amount"?: number,"placement_id": string,"recruiter_id": string,"reversed_amount"?: number,"split_id": string,"status": string,"updated_at"?: string
                  }
                  Update: {
                    "amount"?: number,"connect_required_notified_at"?: string | null,"created_at"?: string,"currency"?: string,"flagged_for_reversal_at"?: string | null,"forfeited_amount"?: number,"held_amount"?: number,"id"?: string,"in_flight_amount"?: number,"paid_amount"?: number,"payable_amount"?: number,"placement_id"?: string,"recruiter_id"?: string,"reversed_amount"?: number,"split_id"?: string,"status"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "payouts_placement_id_currency_fkey"
      columns: ["placement_id","currency"]
isOneToOne: false
      referencedRelation: "placements"
      referencedColumns: ["id","currency"]
    },{
      foreignKeyName: "payouts_recruiter_id_fkey"
      columns: ["recruiter_id"]
isOneToOne: false
      referencedRelation: "recruiters"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "payouts_split_id_placement_id_recruiter_id_fkey"
      columns: ["split_id","placement_id","recruiter_id"]
isOneToOne: false
      referencedRelation: "placement_splits"
      referencedColumns: ["id","placement_id","recruiter_id"]
    }
                  ]
                },"placement_invoices": {
                  Row: {
                    "amount_due": number,"collectible_at": string | null,"created_at": string,"currency": string,"id": string,"paid_at": string | null,"placement_id": string,"status": string,"stripe_invoice_id": string | null,"stripe_payment_intent_id": string | null,"updated_at": string,"voided_at": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_due": number,"collectible_at"?: string | null,"created_at"?: string,"currency": string,"id"?: string,"paid_at"?: string | null,"placement_id": string,"status": string,"stripe_invoice_id"?: string | null,"stripe_payment_intent_id"?: string | null,"updated_at"?: string,"voided_at"?: string | null
                  }
                  Update: {
                    "amount_due"?: number,"collectible_at"?: string | null,"created_at"?: string,"currency"?: string,"id"?: string,"paid_at"?: string | null,"placement_id"?: string,"status"?: string,"stripe_invoice_id"?: string | null,"stripe_payment_intent_id"?: string | null,"updated_at"?: string,"voided_at"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "placement_invoices_placement_id_currency_fkey"
      columns: ["placement_id","currency"]
isOneToOne: false
      referencedRelation: "placements"
      referencedColumns: ["id","currency"]
    }
                  ]
                },"placement_splits": {
                  Row: {
                    "created_at": string,"id": string,"placement_id": string,"recruiter_id": string,"role": string,"share_bps": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: string,"placement_id": string,"recruiter_id": string,"role": string,"share_bps": number,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"id"?: string,"placement_id"?: string,"recruiter_id"?: string,"role"?: string,"share_bps"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "placement_splits_placement_id_fkey"
      columns: ["placement_id"]
isOneToOne: false
      referencedRelation: "placements"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "placement_splits_recruiter_id_fkey"
      columns: ["recruiter_id"]
isOneToOne: false
      referencedRelation: "recruiters"
      referencedColumns: ["id"]
    }
                  ]
                },"placements": {
                  Row: {
                    "activated_at": string | null,"company_id": string,"completed_at": string | null,"created_at": string,"currency": string,"failed_at": string | null,"failure_reason": string | null,"fee_amount": number,"guarantee_days": number,"guarantee_expires_at": string,"hired_at": string,"holdback_bps": number,"id": string,"platform_amount": number | null,"refund_amount": number | null,"refund_decided_at": string | null,"splits_locked_at": string | null,"status": string,"title": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "activated_at"?: string | null,"company_id": string,"completed_at"?: string | null,"created_at"?: string,"currency": string,"failed_at"?: string | null,"failure_reason"?: string | null,"fee_amount": number,"guarantee_days": number,"guarantee_expires_at": string,"hired_at": string,"holdback_bps"?: number,"id"?: string,"platform_amount"?: number | null,"refund_amount"?: number | null,"refund_decided_at"?: string | null,"splits_locked_at"?: string | null,"status"?: string,"title"?: string,"updated_at"?: string
                  }
                  Update: {
                    "activated_at"?: string | null,"company_id"?: string,"completed_at"?: string | null,"created_at"?: string,"currency"?: string,"failed_at"?: string | null,"failure_reason"?: string | null,"fee_amount"?: number,"guarantee_days"?: number,"guarantee_expires_at"?: string,"hired_at"?: string,"holdback_bps"?: number,"id"?: string,"platform_amount"?: number | null,"refund_amount"?: number | null,"refund_decided_at"?: string | null,"splits_locked_at"?: string | null,"status"?: string,"title"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "placements_company_id_fkey"
      columns: ["company_id"]
isOneToOne: false
      referencedRelation: "companies"
      referencedColumns: ["id"]
    }
                  ]
                },"platform_admins": {
                  Row: {
                    "created_at": string,"granted_by": string | null,"id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"granted_by"?: string | null,"id"?: string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"granted_by"?: string | null,"id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"recruiter_clawbacks": {
                  Row: {
                    "amount": number,"created_at": string,"currency": string,"id": string,"offset_amount": number,"outstanding_amount": number,"payout_id": string,"payout_reversal_id": string,"reason": string,"recruiter_id": string,"settled_at": string | null,"status": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount": number,"created_at"?: string,"currency": string,"id"?: string,"offset_amount"?: number,"outstanding_amount"?: never,"payout_id": string,"payout_reversal_id": string,"reason": string,"recruiter_id": string,"settled_at"?: string | null,"status"?: never,"updated_at"?: string
                  }
                  Update: {
                    "amount"?: number,"created_at"?: string,"currency"?: string,"id"?: string,"offset_amount"?: number,"outstanding_amount"?: never,"payout_id"?: string,"payout_reversal_id"?: string,"reason"?: string,"recruiter_id"?: string,"settled_at"?: string | null,"status"?: never,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "recruiter_clawbacks_payout_id_fkey"
      columns: ["payout_id"]
isOneToOne: false
      referencedRelation: "payouts"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "recruiter_clawbacks_payout_reversal_id_fkey"
      columns: ["payout_reversal_id"]
isOneToOne: true
      referencedRelation: "payout_reversals"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "recruiter_clawbacks_recruiter_id_fkey"
      columns: ["recruiter_id"]
isOneToOne: false
      referencedRelation: "recruiters"
      referencedColumns: ["id"]
    }
                  ]
                },"recruiters": {
                  Row: {
                    "can_receive_transfers": boolean,"created_at": string,"display_name": string,"id": string,"paused_at": string | null,"paused_reason": string | null,"payouts_paused": boolean,"stripe_capability_updated_at": string | null,"stripe_connect_account_id": string | null,"stripe_transfers_capability": string | null,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "can_receive_transfers"?: never,"created_at"?: string,"display_name": string,"id"?: string,"paused_at"?: string | null,"paused_reason"?: string | null,"payouts_paused"?: never,"stripe_capability_updated_at"?: string | null,"stripe_connect_account_id"?: string | null,"stripe_transfers_capability"?: string | null,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "can_receive_transfers"?: never,"created_at"?: string,"display_name"?: string,"id"?: string,"paused_at"?: string | null,"paused_reason"?: string | null,"payouts_paused"?: never,"stripe_capability_updated_at"?: string | null,"stripe_connect_account_id"?: string | null,"stripe_transfers_capability"?: string | null,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                }
          }
          Views: {
            "payout_alerts": {
                  Row: {
                    "amount": number | null,"currency": string | null,"details": Json | null,"detected_at": string | null,"kind": string | null,"payout_id": string | null,"placement_id": string | null,"recruiter_id": string | null,"subject_id": string | null,"subject_type": string | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                },"payout_audit_trail": {
                  Row: {
                    "action": string,"changed_by": string | null,"changed_by_role": string,"created_at": string,"entity_id": string,"entity_seq": number,"entity_type": string,"id": number,"operation": string,"payout_id": string | null,"placement_id": string | null,"reason": string | null
                  }
                  ComputedFields: never
                  Insert: {
                           "action"?: string | null,"changed_by"?: string | null,"changed_by_role"?: string | null,"created_at"?: string | null,"entity_id"?: string | null,"entity_seq"?: number | null,"entity_type"?: string | null,"id"?: number | null,"operation"?: string | null,"payout_id"?: string | null,"placement_id"?: string | null,"reason"?: string | null
                         }
                        Update: {
                           "action"?: string | null,"changed_by"?: string | null,"changed_by_role"?: string | null,"created_at"?: string | null,"entity_id"?: string | null,"entity_seq"?: number | null,"entity_type"?: string | null,"id"?: number | null,"operation"?: string | null,"payout_id"?: string | null,"placement_id"?: string | null,"reason"?: string | null
                         }
                        Relationships: [
                    
                  ]
                },"placement_escrow_holds": {
                  Row: {
                    "cancelled_at": string | null,"currency": string | null,"held_at": string | null,"hold_reason": string | null,"id": string | null,"placement_id": string | null,"release_scheduled_date": string | null,"released_at": string | null,"status": string | null
                  }
                  ComputedFields: never
                  Insert: {
                           "cancelled_at"?: string | null,"currency"?: string | null,"held_at"?: string | null,"hold_reason"?: string | null,"id"?: string | null,"placement_id"?: string | null,"release_scheduled_date"?: string | null,"released_at"?: string | null,"status"?: string | null
                         }
                        Update: {
                           "cancelled_at"?: string | null,"currency"?: string | null,"held_at"?: string | null,"hold_reason"?: string | null,"id"?: string | null,"placement_id"?: string | null,"release_scheduled_date"?: string | null,"released_at"?: string | null,"status"?: string | null
                         }
                        Relationships: [
                    
                  ]
                }
          }
          Functions: {
            "add_company_member":
{ Args: { "p_company_id"?: string,"p_role"?: string,"p_user_id"?: string }; Returns: {
              "company_id": string,
"created_at": string,
"id": string,
"role": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "company_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_action_requests":
{ Args: { "p_status"?: string }; Returns: {
              "action": string,"amount": number,"args": Json,"break_glass": boolean,"currency": string,"decided_at": string,"decided_by": string,"decision_reason": string,"expires_at": string,"id": string,"requested_at": string,"requested_by": string,"result": Json,"status": string
            }[]
                           },
"admin_companies":
{ Args: { "p_company_ids"?: (string)[] }; Returns: {
              "billing_email": string | null,
"created_at": string,
"id": string,
"name": string,
"stripe_customer_id": string | null,
"updated_at": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "companies"
        isOneToOne: false
        isSetofReturn: true
      } },
"admin_connect_status":
{ Args: { "p_recruiter_id"?: string }; Returns: Database["public"]['CompositeTypes']["connect_status"][]
                          SetofOptions: {
        from: "*"
        to: "connect_status"
        isOneToOne: false
        isSetofReturn: true
      } },
"admin_payout_audit_log":
{ Args: { "p_after_id"?: number,"p_entity_id"?: string,"p_entity_type"?: string,"p_limit"?: number,"p_payout_id"?: string,"p_placement_id"?: string }; Returns: {
              "action": string,
"changed_by": string | null,
"changed_by_role": string,
"created_at": string,
"entity_id": string,
"entity_seq": number,
"entity_type": string,
"id": number,
"new_values": Json | null,
"old_values": Json | null,
"operation": string,
"payout_id": string | null,
"placement_id": string | null,
"prev_hash": string | null,
"reason": string | null,
"recruiter_id": string | null,
"row_hash": string,
"txid": unknown
            }[]
                          SetofOptions: {
        from: "*"
        to: "payout_audit_log"
        isOneToOne: false
        isSetofReturn: true
      } },
"admin_payout_runs":
{ Args: Record<PropertyKey, never>; Returns: {
              "adopted": number,"cancelled": number,"claimed": number,"deferred": number,"error_count": number,"errors": Json,"failed": number,"finish_reason": string,"finished_at": string,"id": string,"invocations": number,"kind": string,"paid": number,"reclaimed": number,"reconciled": number,"released": number,"skip_reasons": Json,"skipped": number,"started_at": string,"status": string,"trigger": string,"unknown": number
            }[]
                           },
"admin_placement_invoices":
{ Args: { "p_placement_ids"?: (string)[] }; Returns: {
              "amount_due": number,
"collectible_at": string | null,
"created_at": string,
"currency": string,
"id": string,
"paid_at": string | null,
"placement_id": string,
"status": string,
"stripe_invoice_id": string | null,
"stripe_payment_intent_id": string | null,
"updated_at": string,
"voided_at": string | null
            }[]
                          SetofOptions: {
        from: "*"
        to: "placement_invoices"
        isOneToOne: false
        isSetofReturn: true
      } },
"admin_placements":
{ Args: { "p_placement_ids"?: (string)[] }; Returns: {
              "activated_at": string | null,
"company_id": string,
"completed_at": string | null,
"created_at": string,
"currency": string,
"failed_at": string | null,
"failure_reason": string | null,
"fee_amount": number,
"guarantee_days": number,
"guarantee_expires_at": string,
"hired_at": string,
"holdback_bps": number,
"id": string,
"platform_amount": number | null,
"refund_amount": number | null,
"refund_decided_at": string | null,
"splits_locked_at": string | null,
"status": string,
"title": string,
"updated_at": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "placements"
        isOneToOne: false
        isSetofReturn: true
      } },
"admin_recruiter_statement":
{ Args: { "p_currency"?: string,"p_from"?: string,"p_recruiter_id"?: string,"p_to"?: string }; Returns: {
              "amount": number,"clawback_balance": number,"clawback_change": number,"currency": string,"held_balance": number,"held_change": number,"kind": string,"line_key": string,"occurred_at": string,"owed_balance": number,"owed_change": number,"payout_id": string,"placement_id": string,"recruiter_id": string,"source_id": string,"stripe_id": string
            }[]
                           },
"admin_statement_summary":
{ Args: { "p_from"?: string,"p_to"?: string }; Returns: {
              "clawback_created": number,"clawback_offset": number,"closing_clawback": number,"closing_held": number,"closing_owed": number,"currency": string,"earned": number,"forfeited": number,"held_cancelled": number,"held_placed": number,"held_released": number,"opening_clawback": number,"opening_held": number,"opening_owed": number,"paid": number,"recruiter_count": number,"reversed": number
            }[]
                           },
"admin_yearly_totals":
{ Args: { "p_recruiter_id"?: string,"p_year"?: number }; Returns: {
              "clawback_offset": number,"currency": string,"earned": number,"forfeited": number,"net_paid": number,"paid": number,"recruiter_id": string,"reversed": number,"year": number
            }[]
                           },
"approve_admin_action":
{ Args: { "p_reason"?: string,"p_request_id"?: string }; Returns: Json
                           },
"begin_connect_onboarding":
{ Args: { "p_country"?: string,"p_recruiter_id"?: string,"p_replace_reason"?: string }; Returns: {
              "connect_account_id": string,"country": string,"created_at": string,"fresh": boolean,"idempotency_key": string,"recruiter_id": string,"replacing": string,"status": string,"stripe_account_id": string
            }[]
                           },
"cancel_escrow_hold":
{ Args: { "p_hold_id"?: string,"p_reason"?: string }; Returns: {
              "cancellation_reason": string | null,
"cancelled_at": string | null,
"cancelled_by": string | null,
"created_at": string,
"currency": string,
"held_at": string,
"hold_amount": number,
"hold_reason": string,
"id": string,
"payout_id": string,
"placement_id": string,
"recruiter_id": string,
"release_scheduled_date": string | null,
"released_at": string | null,
"released_by": string | null,
"status": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "escrow_holds"
        isOneToOne: true
        isSetofReturn: false
      } },
"cancel_payout_schedule":
{ Args: { "p_reason"?: string,"p_schedule_id"?: string }; Returns: {
              "cancel_reason": string | null,
"cancelled_at": string | null,
"claimed_at": string | null,
"claimed_by_invocation": string | null,
"claimed_by_run": string | null,
"created_at": string,
"failure_reason": string | null,
"guarantee_completion_date": string | null,
"id": string,
"is_exhausted": boolean,
"last_retry_at": string | null,
"lease_expires_at": string | null,
"max_attempts": number,
"next_attempt_at": string | null,
"payout_id": string,
"placement_id": string,
"processed_at": string | null,
"recruiter_id": string,
"retry_count": number,
"scheduled_date": string,
"skip_reason": string | null,
"skipped_at": string | null,
"status": string,
"trigger_event": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "payout_schedules"
        isOneToOne: true
        isSetofReturn: false
      } },
"create_company":
{ Args: { "p_name"?: string,"p_stripe_customer_id"?: string }; Returns: {
              "billing_email": string | null,
"created_at": string,
"id": string,
"name": string,
"stripe_customer_id": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "companies"
        isOneToOne: true
        isSetofReturn: false
      } },
"create_escrow_hold":
{ Args: { "p_hold_amount"?: number,"p_hold_reason"?: string,"p_payout_id"?: string,"p_reason"?: string,"p_release_scheduled_date"?: string }; Returns: {
              "cancellation_reason": string | null,
"cancelled_at": string | null,
"cancelled_by": string | null,
"created_at": string,
"currency": string,
"held_at": string,
"hold_amount": number,
"hold_reason": string,
"id": string,
"payout_id": string,
"placement_id": string,
"recruiter_id": string,
"release_scheduled_date": string | null,
"released_at": string | null,
"released_by": string | null,
"status": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "escrow_holds"
        isOneToOne: true
        isSetofReturn: false
      } },
"create_payout_schedule":
{ Args: { "p_due_at"?: string,"p_payout_id"?: string,"p_reason"?: string }; Returns: {
              "cancel_reason": string | null,
"cancelled_at": string | null,
"claimed_at": string | null,
"claimed_by_invocation": string | null,
"claimed_by_run": string | null,
"created_at": string,
"failure_reason": string | null,
"guarantee_completion_date": string | null,
"id": string,
"is_exhausted": boolean,
"last_retry_at": string | null,
"lease_expires_at": string | null,
"max_attempts": number,
"next_attempt_at": string | null,
"payout_id": string,
"placement_id": string,
"processed_at": string | null,
"recruiter_id": string,
"retry_count": number,
"scheduled_date": string,
"skip_reason": string | null,
"skipped_at": string | null,
"status": string,
"trigger_event": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "payout_schedules"
        isOneToOne: true
        isSetofReturn: false
      } },
"create_placement":
{ Args: { "p_company_id"?: string,"p_currency"?: string,"p_fee_amount"?: number,"p_guarantee_days"?: number,"p_hired_at"?: string,"p_holdback_bps"?: number,"p_splits"?: Json,"p_title"?: string }; Returns: {
              "activated_at": string | null,
"company_id": string,
"completed_at": string | null,
"created_at": string,
"currency": string,
"failed_at": string | null,
"failure_reason": string | null,
"fee_amount": number,
"guarantee_days": number,
"guarantee_expires_at": string,
"hired_at": string,
"holdback_bps": number,
"id": string,
"platform_amount": number | null,
"refund_amount": number | null,
"refund_decided_at": string | null,
"splits_locked_at": string | null,
"status": string,
"title": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "placements"
        isOneToOne: true
        isSetofReturn: false
      } },
"create_recruiter":
{ Args: { "p_display_name"?: string,"p_user_id"?: string }; Returns: {
              "can_receive_transfers": boolean,
"created_at": string,
"display_name": string,
"id": string,
"paused_at": string | null,
"paused_reason": string | null,
"payouts_paused": boolean,
"stripe_capability_updated_at": string | null,
"stripe_connect_account_id": string | null,
"stripe_transfers_capability": string | null,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "recruiters"
        isOneToOne: true
        isSetofReturn: false
      } },
"erase_personal_data":
{ Args: { "p_subject_id"?: string,"p_subject_type"?: string }; Returns: Json
                           },
"fail_placement":
{ Args: { "p_placement_id"?: string,"p_reason"?: string }; Returns: {
              "activated_at": string | null,
"company_id": string,
"completed_at": string | null,
"created_at": string,
"currency": string,
"failed_at": string | null,
"failure_reason": string | null,
"fee_amount": number,
"guarantee_days": number,
"guarantee_expires_at": string,
"hired_at": string,
"holdback_bps": number,
"id": string,
"platform_amount": number | null,
"refund_amount": number | null,
"refund_decided_at": string | null,
"splits_locked_at": string | null,
"status": string,
"title": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "placements"
        isOneToOne: true
        isSetofReturn: false
      } },
"grant_platform_admin":
{ Args: { "p_user_id"?: string }; Returns: {
              "created_at": string,
"granted_by": string | null,
"id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "platform_admins"
        isOneToOne: true
        isSetofReturn: false
      } },
"lift_payout_cap":
{ Args: { "p_currency"?: string,"p_day"?: string,"p_reason"?: string,"p_recruiter_id"?: string }; Returns: Json
                           },
"my_connect_status":
{ Args: Record<PropertyKey, never>; Returns: Database["public"]['CompositeTypes']["connect_status"][]
                          SetofOptions: {
        from: "*"
        to: "connect_status"
        isOneToOne: false
        isSetofReturn: true
      } },
"my_statement":
{ Args: { "p_currency"?: string,"p_from"?: string,"p_to"?: string }; Returns: {
              "amount": number,"clawback_balance": number,"clawback_change": number,"currency": string,"held_balance": number,"held_change": number,"kind": string,"line_key": string,"occurred_at": string,"owed_balance": number,"owed_change": number,"payout_id": string,"placement_id": string,"recruiter_id": string,"source_id": string,"stripe_id": string
            }[]
                           },
"my_yearly_totals":
{ Args: { "p_year"?: number }; Returns: {
              "clawback_offset": number,"currency": string,"earned": number,"forfeited": number,"net_paid": number,"paid": number,"recruiter_id": string,"reversed": number,"year": number
            }[]
                           },
"pause_payouts":
{ Args: { "p_reason"?: string }; Returns: Json
                           },
"pause_recruiter_payouts":
{ Args: { "p_reason"?: string,"p_recruiter_id"?: string }; Returns: {
              "can_receive_transfers": boolean,
"created_at": string,
"display_name": string,
"id": string,
"paused_at": string | null,
"paused_reason": string | null,
"payouts_paused": boolean,
"stripe_capability_updated_at": string | null,
"stripe_connect_account_id": string | null,
"stripe_transfers_capability": string | null,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "recruiters"
        isOneToOne: true
        isSetofReturn: false
      } },
"payout_audit_anchor":
{ Args: { "p_day"?: string }; Returns: {
              "day": string,"digest": string,"rows_total": number,"through_id": number,"through_txid": string,"verification_id": number,"verified_at": string
            }[]
                           },
"payout_caps":
{ Args: { "p_day"?: string }; Returns: {
              "cap": number,"currency": string,"day": string,"deferred_amount": number,"deferred_count": number,"lifted": boolean,"reached_at": string,"recruiter_id": string,"remaining": number,"used_amount": number
            }[]
                           },
"payout_controls":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"payout_run_preview":
{ Args: { "p_now"?: string }; Returns: {
              "amount": number,"currency": string,"held_amount": number,"in_flight_amount": number,"next_attempt_at": string,"payable_amount": number,"payout_id": string,"payout_status": string,"placement_id": string,"reason": string,"recruiter_id": string,"schedule_id": string,"schedule_status": string,"would_pay": boolean
            }[]
                           },
"payout_run_totals":
{ Args: { "p_now"?: string }; Returns: {
              "amount": number,"currency": string,"payouts": number
            }[]
                           },
"placement_escrow_total":
{ Args: { "p_placement_id"?: string }; Returns: {
              "active_hold_count": number,"cancelled_amount": number,"currency": string,"held_amount": number,"next_release_date": string,"placement_id": string,"released_amount": number,"scope": string
            }[]
                           },
"process_due_escrow_releases":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"process_due_payout_schedules":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"read_payout_events":
{ Args: { "p_after_id"?: number,"p_after_txid"?: unknown,"p_limit"?: number }; Returns: {
              "actor_id": string | null,
"actor_role": string,
"created_at": string,
"entity_id": string,
"entity_type": string,
"event_type": string,
"id": number,
"payload": NonNullable<Json>,
"payout_id": string | null,
"placement_id": string | null,
"recruiter_id": string | null,
"txid": unknown
            }[]
                          SetofOptions: {
        from: "*"
        to: "payout_events"
        isOneToOne: false
        isSetofReturn: true
      } },
"record_placement_invoice":
{ Args: { "p_amount_due"?: number,"p_placement_id"?: string,"p_status"?: string,"p_stripe_invoice_id"?: string }; Returns: {
              "amount_due": number,
"collectible_at": string | null,
"created_at": string,
"currency": string,
"id": string,
"paid_at": string | null,
"placement_id": string,
"status": string,
"stripe_invoice_id": string | null,
"stripe_payment_intent_id": string | null,
"updated_at": string,
"voided_at": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "placement_invoices"
        isOneToOne: true
        isSetofReturn: false
      } },
"reissue_placement_invoice":
{ Args: { "p_fee_amount"?: number,"p_placement_id"?: string,"p_reason"?: string }; Returns: {
              "amount_due": number,
"attempts": number,
"claimed_by": string | null,
"company_id": string,
"created_at": string,
"currency": string,
"description": string,
"due_at": string | null,
"failed_at": string | null,
"failure_code": string | null,
"failure_reason": string | null,
"finalized_at": string | null,
"hosted_invoice_url": string | null,
"id": string,
"idempotency_key": string,
"invoice_id": string,
"issue": number,
"last_error": Json | null,
"marked_uncollectible_at": string | null,
"next_attempt_at": string,
"number": string | null,
"paid_at": string | null,
"placement_id": string,
"requested_at": string,
"requested_by": string | null,
"sent_at": string | null,
"status": string,
"stripe_customer_id": string | null,
"stripe_invoice_id": string | null,
"stripe_invoice_item_id": string | null,
"updated_at": string,
"void_reason": string | null,
"void_requested_at": string | null,
"voided_at": string | null,
"work_due": boolean
            }
                          SetofOptions: {
        from: "*"
        to: "company_invoices"
        isOneToOne: true
        isSetofReturn: false
      } },
"reject_admin_action":
{ Args: { "p_reason"?: string,"p_request_id"?: string }; Returns: Json
                           },
"release_escrow_hold":
{ Args: { "p_hold_id"?: string,"p_reason"?: string }; Returns: {
              "cancellation_reason": string | null,
"cancelled_at": string | null,
"cancelled_by": string | null,
"created_at": string,
"currency": string,
"held_at": string,
"hold_amount": number,
"hold_reason": string,
"id": string,
"payout_id": string,
"placement_id": string,
"recruiter_id": string,
"release_scheduled_date": string | null,
"released_at": string | null,
"released_by": string | null,
"status": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "escrow_holds"
        isOneToOne: true
        isSetofReturn: false
      } },
"remove_company_member":
{ Args: { "p_company_id"?: string,"p_user_id"?: string }; Returns: {
              "company_id": string,
"created_at": string,
"id": string,
"role": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "company_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"request_admin_action":
{ Args: { "p_action"?: string,"p_args"?: Json }; Returns: Json
                           },
"resume_payouts":
{ Args: { "p_reason"?: string }; Returns: Json
                           },
"resume_recruiter_payouts":
{ Args: { "p_reason"?: string,"p_recruiter_id"?: string }; Returns: {
              "can_receive_transfers": boolean,
"created_at": string,
"display_name": string,
"id": string,
"paused_at": string | null,
"paused_reason": string | null,
"payouts_paused": boolean,
"stripe_capability_updated_at": string | null,
"stripe_connect_account_id": string | null,
"stripe_transfers_capability": string | null,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "recruiters"
        isOneToOne: true
        isSetofReturn: false
      } },
"reverse_payout":
{ Args: { "p_payout_id"?: string,"p_reason"?: string }; Returns: {
              "amount": number,
"attempts": number,
"claimed_by": string | null,
"completed_at": string | null,
"created_at": string,
"currency": string,
"destination_account_id": string,
"failure_code": string | null,
"failure_reason": string | null,
"id": string,
"idempotency_key": string,
"last_error": Json | null,
"lease_expires_at": string | null,
"partial_amount": number | null,
"partial_idempotency_key": string | null,
"payout_id": string,
"placement_id": string,
"reason": string,
"recruiter_id": string,
"requested_at": string,
"requested_by": string | null,
"reversed_amount": number,
"shortfall_amount": number,
"status": string,
"stripe_reversal_ids": (string)[],
"stripe_transfer_id": string,
"transfer_id": string,
"updated_at": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "payout_reversals"
        isOneToOne: false
        isSetofReturn: true
      } },
"revoke_platform_admin":
{ Args: { "p_user_id"?: string }; Returns: {
              "created_at": string,
"granted_by": string | null,
"id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "platform_admins"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_company_billing_email":
{ Args: { "p_billing_email"?: string,"p_company_id"?: string }; Returns: {
              "billing_email": string | null,
"created_at": string,
"id": string,
"name": string,
"stripe_customer_id": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "companies"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_placement_splits":
{ Args: { "p_placement_id"?: string,"p_splits"?: Json }; Returns: {
              "created_at": string,
"id": string,
"placement_id": string,
"recruiter_id": string,
"role": string,
"share_bps": number,
"updated_at": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "placement_splits"
        isOneToOne: false
        isSetofReturn: true
      } },
"trigger_payout_schedule":
{ Args: { "p_reason"?: string,"p_schedule_id"?: string }; Returns: {
              "cancel_reason": string | null,
"cancelled_at": string | null,
"claimed_at": string | null,
"claimed_by_invocation": string | null,
"claimed_by_run": string | null,
"created_at": string,
"failure_reason": string | null,
"guarantee_completion_date": string | null,
"id": string,
"is_exhausted": boolean,
"last_retry_at": string | null,
"lease_expires_at": string | null,
"max_attempts": number,
"next_attempt_at": string | null,
"payout_id": string,
"placement_id": string,
"processed_at": string | null,
"recruiter_id": string,
"retry_count": number,
"scheduled_date": string,
"skip_reason": string | null,
"skipped_at": string | null,
"status": string,
"trigger_event": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "payout_schedules"
        isOneToOne: true
        isSetofReturn: false
      } },
"update_payout_schedule":
{ Args: { "p_due_at"?: string,"p_reason"?: string,"p_schedule_id"?: string }; Returns: {
              "cancel_reason": string | null,
"cancelled_at": string | null,
"claimed_at": string | null,
"claimed_by_invocation": string | null,
"claimed_by_run": string | null,
"created_at": string,
"failure_reason": string | null,
"guarantee_completion_date": string | null,
"id": string,
"is_exhausted": boolean,
"last_retry_at": string | null,
"lease_expires_at": string | null,
"max_attempts": number,
"next_attempt_at": string | null,
"payout_id": string,
"placement_id": string,
"processed_at": string | null,
"recruiter_id": string,
"retry_count": number,
"scheduled_date": string,
"skip_reason": string | null,
"skipped_at": string | null,
"status": string,
"trigger_event": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "payout_schedules"
        isOneToOne: true
        isSetofReturn: false
      } },
"verify_audit_chain":
{ Args: { "p_entity_id"?: string,"p_entity_type"?: string }; Returns: {
              "audit_id": number,"entity_id": string,"entity_seq": number,"entity_type": string,"problem": string
            }[]
                           },
"verify_payout_audit_chain":
{ Args: { "p_entity_id"?: string,"p_entity_type"?: string }; Returns: {
              "audit_id": number,"entity_id": string,"entity_seq": number,"entity_type": string,"problem": string
            }[]
                           }
          }
          Enums: {
            [_ in never]: never
          }
          CompositeTypes: {
            "connect_status": {
                        "recruiter_id": string | null,"display_name": string | null,"state": string | null,"stripe_account_id": string | null,"transfers_capability": string | null,"can_receive_transfers": boolean | null,"details_submitted": boolean | null,"requirements_currently_due": (string)[] | null,"requirements_past_due": (string)[] | null,"requirements_eventually_due": (string)[] | null,"disabled_reason": string | null,"requirements_observed_at": string | null,"waiting_payouts": Json | null,"waiting_amounts": Json | null
                      }
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            
          }
        }
} as const
