"""The workspace's dashboard: CRM numbers and campaign results on one page. It may read
crm and outreach (crm may not read outreach), and nothing imports it."""
