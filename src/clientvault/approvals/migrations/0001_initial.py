"""Change requests, decisions and approval rules (issue #13); the database refuses a decision by the maker,
from another legal entity or on a request not waiting (``approvals/db.py``), and any change to a decision
or a rule version."""

import clientvault.core.ids
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from clientvault.approvals.db import DecisionGuards
from clientvault.core.catalogues import AppendOnly


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0005_throttle_history_resets'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApprovalRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='version')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('code', models.SlugField(max_length=60, unique=True, verbose_name='code')),
                ('change_type', models.CharField(db_index=True, max_length=60, verbose_name='change type')),
                ('priority', models.IntegerField(default=100, verbose_name='priority')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('conditions', models.JSONField(default=dict, verbose_name='conditions')),
                ('steps', models.JSONField(default=list, verbose_name='approval steps')),
                ('supervisor_threshold_minor', models.BigIntegerField(blank=True, null=True, verbose_name='supervisor re-check from (minor units)')),
                ('supervisor_roles', models.JSONField(default=list, verbose_name='supervisor roles')),
                ('sla_working_days', models.PositiveSmallIntegerField(default=2, verbose_name='due within (working days)')),
                ('escalate_to', models.JSONField(default=list, verbose_name='escalate to')),
                ('expire_after_days', models.PositiveSmallIntegerField(default=30, verbose_name='expires after (days)')),
                ('description', models.CharField(blank=True, max_length=300, verbose_name='description')),
            ],
            options={
                'verbose_name': 'approval rule',
                'verbose_name_plural': 'approval rules',
                'ordering': ['change_type', 'priority', 'code'],
            },
        ),
        migrations.CreateModel(
            name='ChangeRequest',
            fields=[
                ('id', models.UUIDField(default=clientvault.core.ids.new_id, editable=False, primary_key=True, serialize=False)),
                ('change_type', models.CharField(db_index=True, max_length=60, verbose_name='change type')),
                ('target_type', models.CharField(max_length=60, verbose_name='target type')),
                ('target_id', models.CharField(max_length=64, verbose_name='target')),
                ('field_key', models.CharField(blank=True, max_length=100, verbose_name='what changes')),
                ('subject_id', models.UUIDField(db_index=True, verbose_name='customer')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Waiting for approval'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn'), ('applied', 'Applied'), ('expired', 'Expired'), ('failed', 'Failed')], db_index=True, default='submitted', max_length=12, verbose_name='status')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='reason')),
                ('values_ct', models.BinaryField(verbose_name='proposed values')),
                ('before_ct', models.BinaryField(verbose_name='values before')),
                ('fingerprint', models.CharField(max_length=128)),
                ('fields', models.JSONField(default=list, verbose_name='fields')),
                ('facts', models.JSONField(default=dict)),
                ('summary', models.CharField(blank=True, max_length=200, verbose_name='summary')),
                ('rule_code', models.CharField(max_length=60, verbose_name='rule')),
                ('rule_version', models.PositiveIntegerField(verbose_name='rule version')),
                ('plan', models.JSONField(default=list)),
                ('plan_roles', models.CharField(blank=True, max_length=400)),
                ('stage', models.PositiveSmallIntegerField(default=1, verbose_name='stage')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='submitted')),
                ('due_at', models.DateTimeField(blank=True, null=True, verbose_name='due')),
                ('expires_at', models.DateTimeField(blank=True, null=True, verbose_name='expires')),
                ('reminded_at', models.DateTimeField(blank=True, null=True)),
                ('escalated_at', models.DateTimeField(blank=True, null=True)),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided')),
                ('applied_at', models.DateTimeField(blank=True, null=True, verbose_name='applied')),
                ('failure_reason', models.CharField(blank=True, max_length=300, verbose_name='why it failed')),
                ('version', models.PositiveIntegerField(default=1)),
                ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.department', verbose_name='department')),
                ('legal_entity', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.legalentity', verbose_name='legal entity')),
                ('maker', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='maker')),
            ],
            options={
                'verbose_name': 'change request',
                'verbose_name_plural': 'change requests',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Decision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stage', models.PositiveSmallIntegerField(verbose_name='stage')),
                ('approver_role', models.CharField(max_length=40, verbose_name='as')),
                ('outcome', models.CharField(choices=[('approve', 'Approved'), ('reject', 'Rejected')], max_length=8, verbose_name='decision')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='reason')),
                ('decided_at', models.DateTimeField(auto_now_add=True, verbose_name='decided')),
                ('approver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approver')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='approvals.changerequest', verbose_name='change request')),
            ],
            options={
                'verbose_name': 'decision',
                'verbose_name_plural': 'decisions',
                'ordering': ['decided_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ApprovalRuleVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(verbose_name='version')),
                ('snapshot', models.JSONField(verbose_name='values')),
                ('reason', models.CharField(blank=True, max_length=300, verbose_name='reason')),
                ('changed_at', models.DateTimeField(auto_now_add=True, verbose_name='changed')),
                ('audit_event_id', models.UUIDField(blank=True, null=True, verbose_name='audit event')),
                ('code', models.SlugField(max_length=60, verbose_name='code')),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'approval rule version',
                'verbose_name_plural': 'approval rule versions',
                'ordering': ['code', '-version'],
                'constraints': [models.UniqueConstraint(fields=('code', 'version'), name='approvalrule_version_unique')],
            },
        ),
        migrations.AddIndex(
            model_name='changerequest',
            index=models.Index(fields=['status', 'due_at'], name='changerequest_status_due'),
        ),
        migrations.AddConstraint(
            model_name='changerequest',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['submitted', 'approved'])), fields=('target_type', 'target_id', 'field_key'), name='changerequest_one_open_per_target'),
        ),
        migrations.AddConstraint(
            model_name='changerequest',
            constraint=models.CheckConstraint(condition=models.Q(('stage__gte', 1)), name='changerequest_stage_positive'),
        ),
        migrations.AddConstraint(
            model_name='decision',
            constraint=models.UniqueConstraint(fields=('request', 'approver'), name='decision_one_per_approver'),
        ),
        DecisionGuards(),
        AppendOnly("approvals_approvalruleversion"),
    ]
